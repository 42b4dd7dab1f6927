using System.Numerics.Tensors;
using Rnn.Metrics;

namespace Rnn.Tests.Metrics;

/// <summary>Metrics by Keras name, their names in history, and errors that name the metric.</summary>
public class MetricNameAndValidationTests
{
    [Theory]
    [InlineData("accuracy", typeof(Accuracy))]
    [InlineData("acc", typeof(Accuracy))]
    [InlineData("Accuracy", typeof(Accuracy))]
    [InlineData("binary_accuracy", typeof(BinaryAccuracy))]
    [InlineData("categorical_accuracy", typeof(CategoricalAccuracy))]
    [InlineData("sparse_categorical_accuracy", typeof(SparseCategoricalAccuracy))]
    [InlineData("mae", typeof(MeanAbsoluteError))]
    [InlineData("mean_absolute_error", typeof(MeanAbsoluteError))]
    [InlineData("mse", typeof(MeanSquaredError))]
    [InlineData("MEAN_SQUARED_ERROR", typeof(MeanSquaredError))]
    public void FromName_GivesTheKerasMetricNamedAsGiven(string name, Type type)
    {
        var metric = Metric.FromName(name);

        Assert.IsType(type, metric);
        Assert.Equal(name, metric.Name);
    }

    [Fact]
    public void FromName_ThrowsForUnknownName()
    {
        var error = Assert.Throws<ArgumentException>(() => Metric.FromName("mean_iou"));
        Assert.StartsWith("Unknown metric 'mean_iou'. Known metrics: accuracy (acc), binary_accuracy, ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StaticConveniences_GiveFreshMetricsWithKerasNames()
    {
        Assert.NotSame(Metric.Accuracy, Metric.Accuracy);
        Assert.Equal("accuracy", Metric.Accuracy.Name);
        Assert.Equal("binary_accuracy", Metric.BinaryAccuracy.Name);
        Assert.Equal(0.5f, Metric.BinaryAccuracy.Threshold);
        Assert.Equal("categorical_accuracy", Metric.CategoricalAccuracy.Name);
        Assert.Equal("sparse_categorical_accuracy", Metric.SparseCategoricalAccuracy.Name);
        Assert.Equal("mean_absolute_error", Metric.MeanAbsoluteError.Name);
        Assert.Equal("mean_squared_error", Metric.MeanSquaredError.Name);
        Assert.Equal("val_mae", new MeanAbsoluteError("val_mae").Name);
    }

    [Fact]
    public void Constructors_ThrowForBadNameOrThreshold()
    {
        Assert.Throws<ArgumentException>(() => new Accuracy(" "));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new BinaryAccuracy(float.NaN));
        Assert.StartsWith("Metric 'binary_accuracy' expects a finite threshold but received NaN.", error.Message, StringComparison.Ordinal);
    }

    private static Tensor<float> Zeros(params int[] shape) => TestUtil.ToTensor(new float[shape.Aggregate(1, (a, b) => a * b)], shape);

    [Fact]
    public void Update_ThrowsForTargetShapeMismatch()
    {
        var error = Assert.Throws<ArgumentException>(() => Metric.CategoricalAccuracy.Update(Zeros(4, 3), Zeros(4, 2)));
        Assert.Equal("Metric 'categorical_accuracy' expects targets of shape [4, 3] (the predictions' shape) but received [4, 2]. (Parameter 'target')", error.Message);
    }

    [Fact]
    public void SparseCategoricalAccuracy_ThrowsForOneHotTargets()
    {
        var error = Assert.Throws<ArgumentException>(() => Metric.SparseCategoricalAccuracy.Update(Zeros(2, 5, 3), Zeros(2, 5, 3)));
        Assert.StartsWith(
            "Metric 'sparse_categorical_accuracy' expects class-index targets of shape [2, 5] or [2, 5, 1] for predictions of shape [2, 5, 3] but received [2, 5, 3].",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Accuracy_ThrowsForTargetsThatFitNoKind()
    {
        var error = Assert.Throws<ArgumentException>(() => Metric.FromName("acc").Update(Zeros(4, 3), Zeros(5)));
        Assert.StartsWith("Metric 'acc' expects class-index targets of shape [4] or [4, 1]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Update_ThrowsForEmptyBatchAndWrongMask()
    {
        var empty = Assert.Throws<ArgumentException>(() => Metric.MeanSquaredError.Update(Zeros(0, 3), Zeros(0, 3)));
        Assert.StartsWith("Metric 'mean_squared_error' expects at least one sample, one time step and one class", empty.Message, StringComparison.Ordinal);

        var mask = Assert.Throws<ArgumentException>(() => Metric.MeanSquaredError.Update(Zeros(2, 3, 1), Zeros(2, 3, 1), new byte[4]));
        Assert.StartsWith("Metric 'mean_squared_error' expects a mask of [batch] = [2] or [batch, time] = [2, 3] = 6 values", mask.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Update_FailedUpdateLeavesTheResultUnchanged()
    {
        var metric = Metric.MeanAbsoluteError;
        metric.Update(TestUtil.ToTensor([2f], 1, 1), TestUtil.ToTensor([0f], 1, 1));

        Assert.Throws<ArgumentException>(() => metric.Update(Zeros(2, 2), Zeros(2, 3)));

        Assert.Equal(2f, metric.Result);
    }
}
