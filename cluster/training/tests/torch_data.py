"""torch's data-loading index arithmetic (torch 2.9.0, torch/utils/data/), as the Llama example uses it, for the CI
fakes and tests, which run without torch: the fake trainer (fake_torchrun.py) and test_resume_data.py. The round
trip (scripts/nxd-roundtrip.sh) checks resume_data.py against torch's own classes."""


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
        return iter(indices[self.rank: self.total_size: self.num_replicas])

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
