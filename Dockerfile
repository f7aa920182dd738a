# L-Softmax Lab: the Streamlit app on port 8501.
#   docker build -t lsoftmax-lab . && docker run -p 8501:8501 lsoftmax-lab
# requirements.txt pins torch==2.13.0; on x86_64 PyPI serves its CUDA build (several GB).
# For a small CPU-only image, point pip at a CPU wheel index:
#   docker build --build-arg PIP_EXTRA_INDEX_URL=<cpu wheel index> -t lsoftmax-lab .
FROM python:3.11-slim

ARG PIP_EXTRA_INDEX_URL=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OMP_NUM_THREADS=1 \
    MALLOC_ARENA_MAX=2 \
    STREAMLIT_SERVER_ADDRESS=0.0.0.0 \
    STREAMLIT_SERVER_PORT=8501 \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false
# The other production settings (error details hidden, upload limit, allowed hosts, XSRF) are in
# .streamlit/config.toml, copied below, so `make run` serves the same app as the image.

RUN useradd --create-home --uid 1000 lab
WORKDIR /home/lab/app

COPY requirements.txt pyproject.toml README.md LICENSE ./
COPY lsoftmax ./lsoftmax
RUN pip install -r requirements.txt && pip install --no-deps .

COPY --chown=lab:lab app ./app
COPY --chown=lab:lab lab ./lab
COPY --chown=lab:lab assets ./assets
COPY --chown=lab:lab .streamlit ./.streamlit

USER 1000:1000
EXPOSE 8501
# On the port the server really listens on (docker run -e STREAMLIT_SERVER_PORT=... moves it).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('STREAMLIT_SERVER_PORT', '8501'); sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{port}/_stcore/health', timeout=4).read() != b'ok')"]
ENTRYPOINT ["python", "-m", "streamlit", "run", "app/streamlit_app.py"]
