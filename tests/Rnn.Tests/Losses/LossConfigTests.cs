using Rnn.Losses;

namespace Rnn.Tests.Losses;

/// <summary>Losses carry Keras's names, and rebuild from name + config as a model file will store them.</summary>
public class LossConfigTests
{
    [Theory]
    [InlineData("mse", "mean_squared_error")]
    [InlineData("mae", "mean_absolute_error")]
    [InlineData("huber", "huber_loss")]
    [InlineData("bce_logits", "binary_crossentropy")]
    [InlineData("cce", "categorical_crossentropy")]
    [InlineData("scce_logits", "sparse_categorical_crossentropy")]
    [InlineData("msle", "mean_squared_logarithmic_error")]
    [InlineData("mape", "mean_absolute_percentage_error")]
    [InlineData("log_cosh", "log_cosh")]
    [InlineData("kld", "kl_divergence")]
    [InlineData("poisson", "poisson")]
    [InlineData("cosine", "cosine_similarity")]
    [InlineData("hinge", "hinge")]
    [InlineData("squared_hinge", "squared_hinge")]
    public void Name_IsKerasName(string id, string name) => Assert.Equal(name, LossCases.Create(id).Name);

    [Theory]
    [MemberData(nameof(LossValidationTests.Ids), MemberType = typeof(LossValidationTests))]
    public void FromConfig_RebuildsEveryLoss(string id)
    {
        var loss = LossCases.Create(id);
        var random = new Random(1);
        var (prediction, target) = LossCases.Data(id, random, 4, 3);

        var rebuilt = Loss.FromConfig(loss.Name, loss.GetConfig());

        Assert.Equal(loss.GetType(), rebuilt.GetType());
        Assert.Equal(loss.GetConfig(), rebuilt.GetConfig());
        Assert.Equal(loss.Compute(prediction, target, default, 4, 3, default), rebuilt.Compute(prediction, target, default, 4, 3, default));
    }

    [Fact]
    public void GetConfig_GivesKerasKeysWithInvariantValues()
    {
        Assert.Empty(Loss.MeanSquaredError.GetConfig());
        Assert.Equal(new Dictionary<string, string> { ["delta"] = "1.5" }, Loss.Huber(1.5f).GetConfig());
        Assert.Equal(new Dictionary<string, string> { ["from_logits"] = "true" }, Loss.SparseCategoricalCrossEntropy(fromLogits: true).GetConfig());
        Assert.Equal(new Dictionary<string, string> { ["from_logits"] = "false" }, Loss.BinaryCrossEntropy().GetConfig());
    }

    [Fact]
    public void FromConfig_AcceptsKerasShortNamesAndDefaultsMissingSettings()
    {
        Assert.IsType<MeanSquaredError>(Loss.FromConfig("mse"));
        Assert.IsType<MeanAbsoluteError>(Loss.FromConfig("mae"));
        Assert.Same(Loss.MeanSquaredLogarithmicError, Loss.FromConfig("msle"));
        Assert.Same(Loss.MeanAbsolutePercentageError, Loss.FromConfig("mape"));
        Assert.Same(Loss.KLDivergence, Loss.FromConfig("kld"));
        Assert.Same(Loss.LogCosh, Loss.FromConfig("logcosh"));
        Assert.Equal(1f, Assert.IsType<Huber>(Loss.FromConfig("huber")).Delta);
        Assert.Equal(0.25f, Assert.IsType<Huber>(Loss.FromConfig("huber_loss", new Dictionary<string, string> { ["delta"] = "0.25" })).Delta);
        Assert.False(Assert.IsType<CategoricalCrossEntropy>(Loss.FromConfig("categorical_crossentropy")).FromLogits);
        Assert.True(Assert.IsType<BinaryCrossEntropy>(Loss.FromConfig("binary_crossentropy", new Dictionary<string, string> { ["from_logits"] = "True" })).FromLogits);
    }

    [Fact]
    public void FromConfig_ThrowsForUnknownName()
    {
        var error = Assert.Throws<ArgumentException>(() => Loss.FromConfig("cross_entropy"));
        Assert.StartsWith("Unknown loss 'cross_entropy'. Known losses: mean_squared_error (mse), ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfig_ThrowsForUnknownSetting()
    {
        var huber = Assert.Throws<ArgumentException>(() => Loss.FromConfig("huber_loss", new Dictionary<string, string> { ["from_logits"] = "true" }));
        Assert.StartsWith("Loss 'huber_loss' has no setting 'from_logits'; its settings are: delta.", huber.Message, StringComparison.Ordinal);

        var cosine = Assert.Throws<ArgumentException>(() => Loss.FromConfig("cosine_similarity", new Dictionary<string, string> { ["axis"] = "1" }));
        Assert.StartsWith("Loss 'cosine_similarity' has no setting 'axis'; it has no settings.", cosine.Message, StringComparison.Ordinal);

        var mse = Assert.Throws<ArgumentException>(() => Loss.FromConfig("mse", new Dictionary<string, string> { ["delta"] = "1" }));
        Assert.StartsWith("Loss 'mse' has no setting 'delta'; it has no settings.", mse.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfig_ThrowsForMalformedSetting()
    {
        var number = Assert.Throws<ArgumentException>(() => Loss.FromConfig("huber_loss", new Dictionary<string, string> { ["delta"] = "one" }));
        Assert.StartsWith("Loss 'huber_loss' expects setting 'delta' to be a number but received 'one'.", number.Message, StringComparison.Ordinal);

        var flag = Assert.Throws<ArgumentException>(() => Loss.FromConfig("categorical_crossentropy", new Dictionary<string, string> { ["from_logits"] = "yes" }));
        Assert.StartsWith("Loss 'categorical_crossentropy' expects setting 'from_logits' to be 'true' or 'false' but received 'yes'.", flag.Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentOutOfRangeException>(() => Loss.FromConfig("huber_loss", new Dictionary<string, string> { ["delta"] = "-2" }));
    }

    [Fact]
    public void StaticConveniences_GiveConfiguredLosses()
    {
        Assert.Same(Loss.MeanSquaredError, Loss.MeanSquaredError);
        Assert.Equal(2f, Loss.Huber(delta: 2f).Delta);
        Assert.True(Loss.BinaryCrossEntropy(fromLogits: true).FromLogits);
        Assert.True(Loss.CategoricalCrossEntropy(fromLogits: true).FromLogits);
        Assert.False(Loss.SparseCategoricalCrossEntropy().FromLogits);
    }

    [Fact]
    public void ToString_ShowsNameAndSettings()
    {
        Assert.Equal("mean_absolute_error", Loss.MeanAbsoluteError.ToString());
        Assert.Equal("huber_loss(delta=0.5)", Loss.Huber(0.5f).ToString());
        Assert.Equal("sparse_categorical_crossentropy(from_logits=true)", Loss.SparseCategoricalCrossEntropy(fromLogits: true).ToString());
    }
}
