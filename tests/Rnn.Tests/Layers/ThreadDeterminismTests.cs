using Rnn.Kernels;
using Rnn.Losses;
using Rnn.Optimizers;
using Rnn.Tests.Reference;

namespace Rnn.Tests.Layers;

/// <summary>Tests that change <see cref="Parallelism.ThreadCount"/> run alone, so no other test changes it meanwhile.</summary>
[CollectionDefinition(nameof(SerialThreading), DisableParallelization = true)]
public sealed class SerialThreading;

/// <summary>Forward and backward give the same bits on one thread and on two, for every cell.</summary>
[Collection(nameof(SerialThreading))]
public class ThreadDeterminismTests
{
    public static TheoryData<ReferenceCell, bool> Cases()
    {
        var data = new TheoryData<ReferenceCell, bool>();
        foreach (var cell in Enum.GetValues<ReferenceCell>())
        {
            data.Add(cell, false);
            data.Add(cell, true);
        }

        return data;
    }

    /// <summary>
    /// Batch 9 splits the hidden units between the threads; batch 40 (small weights) splits the batch rows; batch 64
    /// (64 steps of 64 features) is large enough that the layout copies in and out of the layer split too.
    /// </summary>
    public static TheoryData<ReferenceCell, bool, int> CasesWithBatch()
    {
        var data = new TheoryData<ReferenceCell, bool, int>();
        foreach (var cell in Enum.GetValues<ReferenceCell>())
        {
            foreach (var batch in new[] { 9, 40, 64 })
            {
                data.Add(cell, false, batch);
                data.Add(cell, true, batch);
            }
        }

        return data;
    }

    /// <summary>Output, final states, input and initial-state gradients, and every parameter gradient, in one array.</summary>
    private static float[] Run(ReferenceCell cell, bool bidirectional, int threads, int batch, float recurrentDropout = 0f)
    {
        var previous = Parallelism.ThreadCount;
        Parallelism.ThreadCount = threads;
        try
        {
            const int Hidden = 70;
            var (time, input) = batch == 64 ? (64, 64) : (7, 20);
            var random = new Random(3);
            var layer = RecurrentHarness.CreateLayer(cell, Hidden, layers: 2, bidirectional, returnSequences: true, returnState: true, dropout: 0.2f, seed: 4, recurrentDropout: recurrentDropout, inputDropout: recurrentDropout / 2);
            layer.Build(-1, input);
            var directions = bidirectional ? 2 : 1;
            int[] stateShape = [2 * directions, batch, Hidden];
            var x = TestUtil.ToTensor(TestUtil.RandomArray(random, batch * time * input), batch, time, input);
            var h0 = TestUtil.ToTensor(TestUtil.RandomArray(random, 2 * directions * batch * Hidden), stateShape);
            var mask = System.Numerics.Tensors.Tensor.Create(RecurrentHarness.RandomMask(random, batch, time), [batch, time]);
            var result = layer.Forward(x, h0, null, mask, training: true);
            var gradients = layer.Backward(
                TestUtil.ToTensor(TestUtil.RandomArray(random, batch * time * Hidden * directions), batch, time, Hidden * directions),
                TestUtil.ToTensor(TestUtil.RandomArray(random, 2 * directions * batch * Hidden), stateShape));
            return
            [
                .. TestUtil.Span(result.Output), .. TestUtil.Span(result.FinalHidden!), .. TestUtil.Span(gradients.Input), .. TestUtil.Span(gradients.InitialHidden!),
                .. layer.Parameters.SelectMany(p => p.Grad),
            ];
        }
        finally
        {
            Parallelism.ThreadCount = previous;
        }
    }

    [Theory]
    [MemberData(nameof(CasesWithBatch))]
    public void ForwardAndBackward_AreBitwiseIdenticalOnOneAndTwoThreads(ReferenceCell cell, bool bidirectional, int batch)
    {
        var single = Run(cell, bidirectional, threads: 1, batch);
        var runsBefore = WorkerPool.Shared.ParallelRuns;
        var parallel = Run(cell, bidirectional, threads: 2, batch);
        Assert.True(WorkerPool.Shared.ParallelRuns > runsBefore, "the two-thread run did not split any work");
        TestUtil.AssertBitwiseEqual(single, parallel, "two threads against one");
    }

    /// <summary>
    /// With recurrent dropout the product reads m ⊙ h_{t-1}, which each worker writes for its own units (or rows) before
    /// the step's barrier, and backward scales its part of dh_{t-1} by m: the same bits on one thread and on two.
    /// </summary>
    [Theory]
    [MemberData(nameof(CasesWithBatch))]
    public void WithRecurrentDropout_ForwardAndBackward_AreBitwiseIdenticalOnOneAndTwoThreads(ReferenceCell cell, bool bidirectional, int batch)
    {
        var single = Run(cell, bidirectional, threads: 1, batch, recurrentDropout: 0.3f);
        var runsBefore = WorkerPool.Shared.ParallelRuns;
        var parallel = Run(cell, bidirectional, threads: 2, batch, recurrentDropout: 0.3f);
        Assert.True(WorkerPool.Shared.ParallelRuns > runsBefore, "the two-thread run did not split any work");
        TestUtil.AssertBitwiseEqual(single, parallel, "two threads against one");
        Assert.NotEqual(Run(cell, bidirectional, threads: 1, batch), single);
    }

    /// <summary>
    /// Inference keeps only one chunk of gates and projects the input chunk by chunk: its outputs equal the training
    /// pass's bits (dropout off, one layer), on one thread and on two, with many chunks; so does Lstm's final cell
    /// state, which inference keeps in two alternating slots instead of one per step.
    /// </summary>
    [Theory]
    [MemberData(nameof(CasesWithBatch))]
    public void Inference_EqualsTheTrainingPassBitwise_OnOneAndTwoThreads(ReferenceCell cell, bool bidirectional, int batch)
    {
        // batch 9 projects 8 steps at a time and splits the units; batch 40 (48 units: small weights) splits the rows,
        // 2 steps at a time.
        var hidden = batch == 9 ? 200 : 48;
        const int Time = 50, Input = 5;
        var random = new Random(5);
        var x = TestUtil.ToTensor(TestUtil.RandomArray(random, batch * Time * Input), batch, Time, Input);
        var mask = System.Numerics.Tensors.Tensor.Create(RecurrentHarness.RandomMask(random, batch, Time), [batch, Time]);
        var previous = Parallelism.ThreadCount;
        try
        {
            float[]? expected = null;
            foreach (var threads in new[] { 1, 2 })
            {
                Parallelism.ThreadCount = threads;
                var layer = RecurrentHarness.CreateLayer(cell, hidden, layers: 1, bidirectional, returnSequences: true, returnState: true, seed: 6);
                layer.Build(-1, Input);
                var trained = layer.Forward(x, null, null, mask, training: true);
                expected ??= [.. TestUtil.Span(trained.Output), .. TestUtil.Span(trained.FinalHidden!), .. (trained.FinalCell is null ? [] : TestUtil.Span(trained.FinalCell).ToArray())];
                var inferred = layer.Forward(x, null, null, mask, training: false);
                float[] actual = [.. TestUtil.Span(inferred.Output), .. TestUtil.Span(inferred.FinalHidden!), .. (inferred.FinalCell is null ? [] : TestUtil.Span(inferred.FinalCell).ToArray())];
                TestUtil.AssertBitwiseEqual(expected, actual, $"inference against the training pass, {threads} thread(s)");
            }
        }
        finally
        {
            Parallelism.ThreadCount = previous;
        }
    }

    [Fact]
    public void SmallProblems_RunOnOneThread_WhateverThreadCountSays()
    {
        var previous = Parallelism.ThreadCount;
        try
        {
            Parallelism.ThreadCount = 2;
            var random = new Random(8);

            // The seed model: batch 32, 20 units, 1 feature: 32 · 4 · 20 · 21 ≈ 54k multiply-adds per step.
            var small = RecurrentHarness.CreateLayer(ReferenceCell.Lstm, 20, seed: 1);
            small.Build(-1, 1);
            var runsBefore = WorkerPool.Shared.ParallelRuns;
            small.Forward(TestUtil.ToTensor(TestUtil.RandomArray(random, 32 * 10), 32, 10, 1), null);
            Assert.Equal(runsBefore, WorkerPool.Shared.ParallelRuns);

            // Batch 64, 128 units: 64 · 4 · 128 · 160 ≈ 5.2M multiply-adds per step, split.
            var large = RecurrentHarness.CreateLayer(ReferenceCell.Lstm, 128, seed: 1);
            large.Build(-1, 32);
            large.Forward(TestUtil.ToTensor(TestUtil.RandomArray(random, 64 * 3 * 32), 64, 3, 32), null);
            Assert.True(WorkerPool.Shared.ParallelRuns > runsBefore, "batch 64 × 128 units did not use the second thread");
        }
        finally
        {
            Parallelism.ThreadCount = previous;
        }
    }

    /// <summary>
    /// With <see cref="Parallelism.Adaptive"/> off every call of a layer worth two threads uses both; with it on (the
    /// default), the layer may settle on one, and the output stays the same bits either way.
    /// </summary>
    [Fact]
    public void Adaptive_OffSplitsEveryCall_OnGivesTheSameBits()
    {
        var (previousCount, previousAdaptive) = (Parallelism.ThreadCount, Parallelism.Adaptive);
        try
        {
            Parallelism.ThreadCount = 2;
            var random = new Random(11);
            var layer = RecurrentHarness.CreateLayer(ReferenceCell.Gru, 160, seed: 2); // one sequence: 3 · 160 · 224 ≈ 108k multiply-adds per step
            layer.Build(-1, 64);
            var x = TestUtil.ToTensor(TestUtil.RandomArray(random, 5 * 64), 1, 5, 64);
            var expected = TestUtil.Span(layer.Forward(x, null).Output).ToArray();

            Parallelism.Adaptive = false;
            var runsBefore = WorkerPool.Shared.ParallelRuns;
            for (var i = 0; i < 40; i++)
            {
                Assert.Equal(expected, TestUtil.Span(layer.Forward(x, null).Output).ToArray());
            }

            Assert.Equal(runsBefore + 40, WorkerPool.Shared.ParallelRuns);

            Parallelism.Adaptive = true;
            for (var i = 0; i < 200; i++)
            {
                Assert.Equal(expected, TestUtil.Span(layer.Forward(x, null).Output).ToArray());
            }
        }
        finally
        {
            (Parallelism.ThreadCount, Parallelism.Adaptive) = (previousCount, previousAdaptive);
        }
    }

    /// <summary>
    /// Three training steps (forward, backward, optimizer) give the same weights and optimizer state on one thread
    /// and on two. After each step the workers repack the changed weights in parts (split by units with one
    /// sequence, by rows with 40), and Adam and AdamW update the 64k-element W_hh on both threads.
    /// </summary>
    [Theory]
    [InlineData(1, false)]
    [InlineData(1, true)]
    [InlineData(40, false)]
    public void TrainingSteps_GiveTheSameWeightsOnOneAndTwoThreads(int batch, bool decoupled)
    {
        const int Time = 12, Input = 32, Hidden = 128;
        var random = new Random(9);
        var x = TestUtil.ToTensor(TestUtil.RandomArray(random, batch * Time * Input), batch, Time, Input);
        var y = TestUtil.ToTensor(TestUtil.RandomArray(random, batch * Time * Hidden), batch, Time, Hidden);
        var previous = Parallelism.ThreadCount;
        try
        {
            float[]? expected = null;
            foreach (var threads in new[] { 1, 2 })
            {
                Parallelism.ThreadCount = threads;
                var model = new Sequential([new Rnn.Layers.Lstm(Hidden, returnSequences: true, inputShape: (null, Input))], seed: 2);
                Assert.True(model.Layers[0].Parameters.Max(p => p.Length) >= AdamKernel.Job.ParallelElements);
                model.Compile(decoupled ? new AdamW(learningRate: 0.01f) : new Adam(learningRate: 0.01f), Loss.MeanSquaredError);
                var runsBefore = WorkerPool.Shared.ParallelRuns;
                for (var step = 0; step < 3; step++)
                {
                    model.TrainOnBatch(x, y);
                }

                Assert.Equal(threads > 1, WorkerPool.Shared.ParallelRuns > runsBefore);
                float[] actual = [.. model.Layers[0].Parameters.SelectMany(p => p.Data)];
                expected ??= actual;
                TestUtil.AssertBitwiseEqual(expected, actual, $"weights after training on {threads} thread(s) against one");
            }
        }
        finally
        {
            Parallelism.ThreadCount = previous;
        }
    }

    /// <summary>The Adam update split between two threads (cut at a multiple of 16 floats, odd length) gives the one-thread bits and really splits.</summary>
    [Fact]
    public void AdamJob_OnTwoThreads_EqualsOneThreadUpdate()
    {
        const int Length = AdamKernel.Job.ParallelElements + 13;
        var random = new Random(10);
        float[] Values() => [.. TestUtil.RandomArray(random, Length).Select(value => (float)value)];
        var param = Values();
        var grad = Values();
        var m = Values();
        var v = Values().Select(MathF.Abs).ToArray();
        float[] p1 = [.. param], m1 = [.. m], v1 = [.. v];
        var scalars = AdamKernel.Scalars.For(0.01f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled: false, step: 4);
        AdamKernel.Step(p1, grad, m1, v1, scalars, UnitLoop.Best);
        var previous = Parallelism.ThreadCount;
        try
        {
            Parallelism.ThreadCount = 2;
            var runsBefore = WorkerPool.Shared.ParallelRuns;
            new AdamKernel.Job().Run(new WorkerTuner(), param, grad, m, v, scalars, UnitLoop.Best, workers: 2);
            Assert.True(WorkerPool.Shared.ParallelRuns > runsBefore, "the update did not use the second thread");
        }
        finally
        {
            Parallelism.ThreadCount = previous;
        }

        Assert.Equal(p1, param);
        Assert.Equal(m1, m);
        Assert.Equal(v1, v);
    }
}
