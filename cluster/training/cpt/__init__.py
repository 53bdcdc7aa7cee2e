"""The Python half of cpt-run.sh and of the stage scripts, by concern:

  request.py    the request: decoded, checked against request.schema.json (schema.py), stored
  shell_env.py  the request's values and the run's paths as quoted shell assignments (`env`)
  paths.py      where things are: /fsx paths, the run's folders, the Neuron environment
  arguments.py  the training script's arguments, the compile cache's key
  checkpoints.py, inputs.py, report.py   checkpoints; the datasets and model checked; exports and the report
  neuron.py     the Neuron environment's state, a node's devices (neuron-ls)
  slurm.py, restarts.py, answers.py      Slurm's view of the chain; a job's attempts; cpt-run.sh's answers
  stop_by.py    the request's stopBy (a Capacity Block's end): the train job's watcher and its time limit
  files.py      JSON files read and written whole
  cli.py        the commands (`python3 SCRIPTS/cpt COMMAND ...`)

Standard library only, Python 3.10 or later (the head and compute nodes' system python3 on Ubuntu 22.04), so that
it runs without the Neuron environment.
"""
