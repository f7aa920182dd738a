"""The lab: everything the app needs beyond the loss library, and not installed with it.

`pip install lsoftmax` gives an ML engineer the loss, the margin family and their geometry;
the lab adds what the web app and its experiments need, with no streamlit or plotly imports:

    lab.settings   TrainSettings: every live-training setting, round-tripping through the URL
    lab.train      the headless live trainer (one model or several in lockstep) and its snapshots
    lab.models     the toy network (MLP -> 2-D features -> a margin head), numpy step
    lab.datasets   toy 2-D data generators with one signature and a registry
    lab.user_data  the upload validator (CSV of x, y, label)
    lab.angles     angle statistics of features against their class vectors
    lab.explain    numbers the explorer pages show (Chebyshev coefficients, one sample's loss)
    lab.idx        IDX files (MNIST's format): reader, writer for tests, MNIST folder and cache
    lab.digits     Figure 2 on real digits: a small CNN with a 2-D feature layer and an L-Softmax
                   head, m = 1..4 trained in lockstep; `python -m app.digits_cli --help` (the command line, which draws)
"""
