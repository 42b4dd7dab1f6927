#!/usr/bin/env bash
# Runs the whole benchmark suite (FMA peak, GEMM, activations, the layers against PyTorch and ONNX Runtime on
# 1 and 2 threads) and prints the tables for docs/benchmarks.md. Takes about an hour; never run two benchmarks
# at once. Extra arguments go to BenchmarkDotNet (e.g. --filter '*RecurrentBenchmarks*' --job short).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet restore benchmarks/Rnn.Benchmarks
# TorchSharp 0.107's libtorch wants a newer libstdc++ than Debian 12's; this patch makes it load (see the script).
bash benchmarks/torchsharp-fix.sh || echo "torchsharp-fix.sh failed: the PyTorch benchmarks will report that libtorch could not load"
dotnet build -c Release benchmarks/Rnn.Benchmarks
filter=("$@")
[ ${#filter[@]} -gt 0 ] || filter=(--filter '*')
dotnet run -c Release --no-build --project benchmarks/Rnn.Benchmarks -- "${filter[@]}"
dotnet run -c Release --no-build --project benchmarks/Rnn.Benchmarks -- report BenchmarkDotNet.Artifacts/results
