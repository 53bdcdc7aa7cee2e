"""torch's data-loading index arithmetic (torch 2.9.0, torch/utils/data/), as the Llama example uses it, for the CI
fakes and tests, which run without torch: the fake trainer (fake_torchrun.py) and test_resume_data.py; and how the
example's train loop takes micro-batches from a loader (steps_taken), which the round trip (scripts/nxd-roundtrip.sh)
also uses to check resume_data.py against torch's own classes."""


class NoStep(Exception):
    """A pass of the loader that made no optimizer step: the example's train_loop_fn then fails."""


def steps_taken(loader, start: int, grad_accum: int, steps: int, row_of=lambda batch: batch) -> list:
    """row_of(batch) of each micro-batch that train_loop_fn (tp_zero1_llama_hf_pretrain.py at v2.28.0) takes from
    `loader` from optimizer step `start` to `steps`: a step every grad_accum micro-batches, the count going on across
    passes, a new pass when one ends. A pass without a step raises NoStep (its return reads
    running_loss_reduced_detached, which only a step binds)."""
    taken, micro, step = [], 0, start
    while True:
        stepped = False
        for batch in loader:
            taken.append(row_of(batch))
            micro += 1
            if micro % grad_accum == 0:
                step, stepped = step + 1, True
                if step >= steps:
                    return taken
        if not stepped:
            raise NoStep(f"a pass without an optimizer step, resumed at {start}")


class DistributedSampler:
    """torch.utils.data.DistributedSampler(dataset, num_replicas, rank, shuffle=False, drop_last=True), torch 2.9.0
    torch/utils/data/distributed.py: lines 94-103 (a length not divisible by num_replicas: num_samples =
    ceil((len - num_replicas) / num_replicas), total_size = num_samples x num_replicas = len - len % num_replicas)
    and __iter__, lines 113-134 (indices = range(len)[:total_size]; indices[rank:total_size:num_replicas])."""

    def __init__(self, length, num_replicas, rank):
        self.length, self.num_replicas, self.rank = length, num_replicas, rank
        if length % num_replicas:
            self.num_samples = -(-(length - num_replicas) // num_replicas)
        else:
            self.num_samples = length // num_replicas
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        indices = list(range(self.length))[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self):
        return self.num_samples


class BatchSampler:
    """torch.utils.data.BatchSampler(sampler, batch_size, drop_last=True), which DataLoader builds from sampler= and
    batch_size= (dataloader.py line 394): __iter__ zips batch_size references to one iterator of the sampler,
    __len__ is len(sampler) // batch_size (sampler.py lines 346-366)."""

    def __init__(self, sampler, batch_size):
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, True

    def __iter__(self):
        iterator = iter(self.sampler)
        for batch in zip(*[iterator] * self.batch_size):
            yield [*batch]

    def __len__(self):
        return len(self.sampler) // self.batch_size


class DataLoader:
    """What resume_data.skip_consumed uses of torch's DataLoader: batch_sampler; a pass iterates it."""

    def __init__(self, batch_sampler):
        self.batch_sampler = batch_sampler

    def __iter__(self):
        return iter(self.batch_sampler)

    def __len__(self):  # dataloader.py: len(self._index_sampler), the batch sampler for a map-style dataset
        return len(self.batch_sampler)
