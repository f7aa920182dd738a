"""The lab's own code (not part of the installable `lsoftmax` library): experiments that use the
library on real data, headless, with no streamlit or plotly imports.

    lab.idx      IDX files (MNIST's format): reader, writer for tests, MNIST folder and cache
    lab.digits   Figure 2 on real digits: a small CNN with a 2-D feature layer and an L-Softmax
                 head, m = 1..4 trained in lockstep; `python -m lab.digits --help`
"""
