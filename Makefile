# fastkernels: build, test and benchmark from a fresh clone.
#
#   make          build the extension into the project venv (.venv)
#   make test     swift test (XCTest) + pytest; fails if either fails
#   make bench    the main job: python -m fastkernels bench (fastkernels against
#                 pure Python, numpy and polars, on this machine)
#   make bench-targets  the issues' target checks (benchmarks/*.py: C, wc -w, threads, Dask)
#   make fuzz     the differential fuzzer for FUZZ_SECONDS (default 600), corpus in fuzz-corpus/
#   make sanitize the XCTest suite under AddressSanitizer and ThreadSanitizer
#   make wheel    a wheel in dist/ (this venv's Python, tagged linux_x86_64)
#   make wheels   a manylinux wheel per CPython 3.9-3.13 found here (pyenv, PATH), in dist/
#   make sdist    the source distribution, in dist/
#   make test-matrix  the pytest suite against each version's installed wheel, no Swift on PATH (nox)
#   make clean    remove every build output and the venv
#
# Needs the Swift toolchain and python3 with pip and venv. Everything else
# (the pinned Python packages of requirements-dev.txt) goes into .venv.

PYTHON ?= python3
comma := ,
SWIFT ?= $(shell command -v swift || echo /opt/swift/usr/bin/swift)
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed

.PHONY: all build test swift-test pytest bench bench-targets wheel wheels sdist test-matrix clean fuzz sanitize asan tsan

all: build

# The venv, with the pinned dev requirements. Debian's python3 needs the
# python3-venv package for `-m venv`: installed here when it is missing.
$(STAMP): requirements-dev.txt
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  echo "python3-venv is missing: installing it with apt-get"; \
	  apt-get update -qq && apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# An editable install: the extension is built in place (python/fastkernels/_native*.so).
build: $(STAMP)
	SWIFT=$(SWIFT) $(VPY) -m pip install --quiet --no-build-isolation --no-deps -e .

test: swift-test pytest

# XCTest of the kernels, compiled against the venv interpreter's headers.
swift-test: $(STAMP)
	env $$($(VPY) tools/swiftpm_python.py env) $(SWIFT) test $$($(VPY) tools/swiftpm_python.py flags)

pytest: build
	$(VPY) -m pytest python/tests

FUZZ_SECONDS ?= 600
fuzz: build
	mkdir -p fuzz-corpus fuzz-crashes
	$(VPY) python/tests/fuzz/fuzz_kernels.py -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 \
	  -artifact_prefix=fuzz-crashes/ fuzz-corpus

# The kernels' XCTest suite under the sanitizers (their own build folders). LeakSanitizer would report
# XCTest's own allocations at exit: leak checking is off. A failed malloc returns NULL, as it does
# without ASan (the kernels' checked allocator is tested with impossible sizes).
sanitize: asan tsan

asan: $(STAMP)
	env $$($(VPY) tools/swiftpm_python.py env) ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 $(SWIFT) test --sanitize=address \
	  --scratch-path .build-asan $$($(VPY) tools/swiftpm_python.py flags)

tsan: $(STAMP)
	env $$($(VPY) tools/swiftpm_python.py env) TSAN_OPTIONS=allocator_may_return_null=1 $(SWIFT) test --sanitize=thread \
	  --scratch-path .build-tsan $$($(VPY) tools/swiftpm_python.py flags)

bench: build
	$(VPY) -m fastkernels bench $(BENCH_ARGS)

bench-targets: build
	$(VPY) benchmarks/fibonacci.py
	$(VPY) benchmarks/numeric.py
	$(VPY) benchmarks/sort.py
	$(VPY) benchmarks/word_count.py
	$(VPY) benchmarks/sizes.py
	$(VPY) benchmarks/dask_corpus.py --idiom-repeats 1
	OPENBLAS_THREAD_TIMEOUT=4 $(VPY) benchmarks/matmul.py
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_THREAD_TIMEOUT=4 $(VPY) benchmarks/matmul.py --section floats

wheel: $(STAMP)
	SWIFT=$(SWIFT) $(VPY) -m pip wheel --no-build-isolation --no-deps --wheel-dir dist .

# One wheel per CPython 3.9-3.13 on this machine, repaired by auditwheel to its manylinux tag.
wheels: $(STAMP)
	SWIFT=$(SWIFT) $(VPY) tools/build_wheels.py $(if $(VERSIONS),--versions $(VERSIONS))

sdist: $(STAMP)
	$(VPY) -m build --sdist --outdir dist .
	$(VPY) -m twine check dist/fastkernels-*.tar.gz

# The suite against each version's installed wheel (built by `make wheels` first when missing).
test-matrix: $(STAMP)
	SWIFT=$(SWIFT) $(VENV)/bin/nox -f noxfile.py -s $(if $(VERSIONS),$(foreach v,$(subst $(comma), ,$(VERSIONS)),tests-$(v)),tests)

clean:
	rm -rf .build .build-asan .build-tsan build dist python/*.egg-info $(VENV) .pytest_cache .hypothesis .nox \
	  fuzz-corpus fuzz-crashes
	rm -f python/fastkernels/_native*.so
