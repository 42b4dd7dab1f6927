using Rnn.Metrics;
using Rnn.Tests.Metrics;

namespace Rnn.Tests.Losses;

/// <summary>The training loop calls losses and metrics on every batch: after warm-up they allocate nothing.</summary>
public class LossAllocationTests
{
    [Theory]
    [MemberData(nameof(LossValidationTests.Ids), MemberType = typeof(LossValidationTests))]
    public void Compute_AllocatesNothing(string id)
    {
        const int Batch = 4, Time = 3, Classes = 300;
        var random = new Random(1);
        var (prediction, target) = LossCases.Data(id, random, Batch * Time, Classes);
        var loss = LossCases.Create(id);
        var p = TestUtil.ToTensor(prediction, Batch, Time, Classes);
        var y = TestUtil.ToTensor(target, LossCases.TargetShape(id, Batch, Time, Classes));
        var gradient = TestUtil.ToTensor(new float[prediction.Length], Batch, Time, Classes);
        byte[] stepMask = [.. Enumerable.Range(0, Batch * Time).Select(i => (byte)(i % 4 == 0 ? 0 : 1))];
        byte[] sampleMask = [1, 0, 1, 1];

        void Run()
        {
            loss.Compute(prediction, target, gradient.AsFlatSpan(), Batch * Time, Classes, stepMask);
            loss.Compute(prediction, target, default, Batch * Time, Classes, default);
            loss.Compute(p, y, gradient);
            loss.Compute(p, y);
            loss.Compute(p, y, stepMask, gradient);
            loss.Compute(p, y, sampleMask, gradient);
        }

        Run();
        var before = GC.GetAllocatedBytesForCurrentThread();
        Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    public static TheoryData<string> MetricNames() => [.. MetricAccumulationTests.Names(), .. KerasMetricTests.Names()];

    [Theory]
    [MemberData(nameof(MetricNames))]
    public void MetricUpdate_AllocatesNothing(string name)
    {
        var metric = Metric.FromName(name);
        var sparse = name is "accuracy" || name.StartsWith("sparse", StringComparison.Ordinal);
        var p = TestUtil.ToTensor(new float[24], 2, 4, 3);
        var y = sparse ? TestUtil.ToTensor(new float[8], 2, 4) : TestUtil.ToTensor(new float[24], 2, 4, 3);
        byte[] mask = [1, 0];

        metric.Update(p, y);
        metric.Update(p, y, mask);
        var before = GC.GetAllocatedBytesForCurrentThread();
        metric.Update(p, y);
        metric.Update(p, y, mask);
        _ = metric.Result;

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
