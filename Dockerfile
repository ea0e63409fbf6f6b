# deck2pdf in a container: slim Python, Pango and HarfBuzz (WeasyPrint's libraries), fonts for scripts the bundled
# fonts lack (CJK, emoji), and deck2pdf. Build and use:
#   docker build -t deck2pdf .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/work" deck2pdf talk.md -o talk.pdf
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/work" deck2pdf talk.md --handout 6 -o handout.pdf
# The deck, its images and the PDF are in the folder mounted at /work; web images are fetched from the container.
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fonts-dejavu-core fonts-noto-cjk fonts-noto-color-emoji \
 && rm -rf /var/lib/apt/lists/*

COPY . /src
RUN pip install --no-cache-dir /src && rm -rf /src \
 && useradd --create-home deck2pdf

# Not root: a deck is input from elsewhere (run with --user to write into the mounted folder as its owner). The
# render and image caches live in the user's cache folder, or in /tmp for a --user without a home.
ENV XDG_CACHE_HOME=/tmp/deck2pdf-cache
USER deck2pdf
WORKDIR /work
ENTRYPOINT ["deck2pdf"]
CMD ["--help"]
