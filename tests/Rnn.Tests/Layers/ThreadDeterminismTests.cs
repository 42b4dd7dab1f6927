using Rnn.Kernels;
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

    /// <summary>Output, final states, input and initial-state gradients, and every parameter gradient, in one array.</summary>
    private static float[] Run(ReferenceCell cell, bool bidirectional, int threads)
    {
        var previous = Parallelism.ThreadCount;
        Parallelism.ThreadCount = threads;
        try
        {
            const int Batch = 9, Time = 7, Input = 20, Hidden = 70;
            var random = new Random(3);
            var layer = RecurrentHarness.CreateLayer(cell, Hidden, layers: 2, bidirectional, returnSequences: true, returnState: true, dropout: 0.2f, seed: 4);
            layer.Build(-1, Input);
            var directions = bidirectional ? 2 : 1;
            int[] stateShape = [2 * directions, Batch, Hidden];
            var x = TestUtil.ToTensor(TestUtil.RandomArray(random, Batch * Time * Input), Batch, Time, Input);
            var h0 = TestUtil.ToTensor(TestUtil.RandomArray(random, 2 * directions * Batch * Hidden), stateShape);
            var mask = System.Numerics.Tensors.Tensor.Create(RecurrentHarness.RandomMask(random, Batch, Time), [Batch, Time]);
            var result = layer.Forward(x, h0, null, mask, training: true);
            var gradients = layer.Backward(
                TestUtil.ToTensor(TestUtil.RandomArray(random, Batch * Time * Hidden * directions), Batch, Time, Hidden * directions),
                TestUtil.ToTensor(TestUtil.RandomArray(random, 2 * directions * Batch * Hidden), stateShape));
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
    [MemberData(nameof(Cases))]
    public void ForwardAndBackward_AreBitwiseIdenticalOnOneAndTwoThreads(ReferenceCell cell, bool bidirectional)
    {
        var single = Run(cell, bidirectional, threads: 1);
        var runsBefore = WorkerPool.Shared.ParallelRuns;
        var parallel = Run(cell, bidirectional, threads: 2);
        Assert.True(WorkerPool.Shared.ParallelRuns > runsBefore, "the two-thread run did not split any work");
        Assert.Equal(single.Length, parallel.Length);
        for (var i = 0; i < single.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(single[i]) == BitConverter.SingleToInt32Bits(parallel[i]), $"value {i}: {single[i]:R} on one thread, {parallel[i]:R} on two");
        }
    }
}
