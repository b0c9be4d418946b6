# zoo: `make demo` runs the main job on built-in data, `make test` runs the test suite.
# Both first install the system libraries zoo links (Debian packages) when they are missing.

SWIFT ?= swift
APT_PACKAGES := libopenblas-dev libhdf5-dev libjpeg-dev libzstd-dev pkg-config
# Numeric code is only meaningful optimised: tests and the demo run release builds.
CONFIG ?= release

.PHONY: all deps build test demo bench clean

all: build

deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "zoo needs system packages:$$missing"; echo "install them with: sudo apt-get install -y$$missing"; exit 1; fi; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG) --product zoo

# The CLI tests run the zoo executable, so it is built first.
test: deps
	$(SWIFT) build -c $(CONFIG) --product zoo
	$(SWIFT) test -c $(CONFIG) --disable-swift-testing

demo: build
	.build/$(CONFIG)/zoo list
	.build/$(CONFIG)/zoo show vit-base-patch16 | tail -n 1
	.build/$(CONFIG)/zoo bench --model vit-base-patch16 --batch 8 --mode infer --steps 2

bench: build
	.build/$(CONFIG)/zoo bench --model vit-base-patch16 --batch 8 --mode infer --steps 3
	.build/$(CONFIG)/zoo bench --model fmae-vit-base-au-iat --batch 8 --mode train --steps 3

clean:
	rm -rf .build
