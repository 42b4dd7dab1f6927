using System.Numerics.Tensors;
using Rnn.Layers;

namespace Rnn.Tests.Layers;

/// <summary>Bad input gets an exception whose message names the layer, what it expected and what it got.</summary>
public class RecurrentValidationTests
{
    private static Tensor<float> Zeros(params int[] shape) => TestUtil.ToTensor(new float[shape.Aggregate(1, (a, b) => a * b)], shape);

    [Fact]
    public void Forward_ThrowsForWrongRank()
    {
        var lstm = new Lstm(4, inputShape: (null, 8));
        var error = Assert.Throws<ArgumentException>(() => lstm.Forward(Zeros(32, 8)));
        Assert.Contains("Layer 'lstm'", error.Message, StringComparison.Ordinal);
        Assert.Contains("rank 3 [batch, time, features]", error.Message, StringComparison.Ordinal);
        Assert.Contains("received rank 2 (input shape [32, 8])", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_ThrowsForWrongFeatureCount()
    {
        var lstm = new Lstm(4, inputShape: (10, 8));
        var error = Assert.Throws<ArgumentException>(() => lstm.Forward(Zeros(32, 10, 5)));
        Assert.Equal("Layer 'lstm' expects 8 input features but received 5 (input shape [32, 10, 5]). (Parameter 'input')", error.Message);
    }

    [Fact]
    public void Forward_ThrowsForFeatureCountDifferentFromFirstCall()
    {
        var gru = new Gru(4, name: "encoder");
        gru.Forward(Zeros(2, 3, 6));
        var error = Assert.Throws<ArgumentException>(() => gru.Forward(Zeros(2, 3, 7)));
        Assert.StartsWith("Layer 'encoder' expects 6 input features but received 7 (input shape [2, 3, 7])", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_AcceptsAnySequenceLength()
    {
        var rnn = new SimpleRnn(3, inputShape: (10, 2), returnSequences: true);
        Assert.Equal([4, 7, 3], TestUtil.Shape(rnn.Forward(Zeros(4, 7, 2))));
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(2, 0)]
    public void Forward_ThrowsForEmptyBatchOrSequence(int batch, int time)
    {
        var lstm = new Lstm(4, inputShape: (null, 3));
        var error = Assert.Throws<ArgumentException>(() => lstm.Forward(Zeros(batch, time, 3)));
        Assert.Contains($"at least one sequence of at least one step but received input shape [{batch}, {time}, 3]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_ThrowsForMismatchedInitialHiddenShape()
    {
        var lstm = new Lstm(4, numLayers: 2, bidirectional: true, inputShape: (null, 3));
        var error = Assert.Throws<ArgumentException>(() => lstm.Forward(Zeros(5, 6, 3), Zeros(2, 5, 4)));
        Assert.Contains("Layer 'lstm' expects the initial hidden state to have shape [4, 5, 4]", error.Message, StringComparison.Ordinal);
        Assert.Contains("but received [2, 5, 4]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_ThrowsForMismatchedInitialCellShape()
    {
        var lstm = new Lstm(4, inputShape: (null, 3));
        var error = Assert.Throws<ArgumentException>(() => lstm.Forward(Zeros(5, 6, 3), Zeros(1, 5, 4), Zeros(1, 4, 4)));
        Assert.Contains("initial cell state to have shape [1, 5, 4]", error.Message, StringComparison.Ordinal);
        Assert.Contains("but received [1, 4, 4]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_ThrowsForCellStateOnGru()
    {
        var gru = new Gru(4, inputShape: (null, 3));
        var error = Assert.Throws<ArgumentException>(() => gru.Forward(Zeros(5, 6, 3), null, Zeros(1, 5, 4)));
        Assert.Contains("Layer 'gru' has no cell state", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Backward_ThrowsWithoutTrainingForward()
    {
        var lstm = new Lstm(4, inputShape: (null, 3));
        var error = Assert.Throws<InvalidOperationException>(() => lstm.Backward(Zeros(2, 4)));
        Assert.Contains("Layer 'lstm' cannot run Backward", error.Message, StringComparison.Ordinal);
        Assert.Contains("no Forward with training: true", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Backward_ThrowsAfterInferenceForward()
    {
        var gru = new Gru(4, inputShape: (null, 3));
        gru.Forward(Zeros(2, 5, 3), training: true);
        gru.Forward(Zeros(2, 5, 3), training: false);
        Assert.Throws<InvalidOperationException>(() => gru.Backward(Zeros(2, 4)));
    }

    [Fact]
    public void Backward_ThrowsForWrongGradientShape()
    {
        var rnn = new SimpleRnn(4, returnSequences: true, inputShape: (null, 3));
        rnn.Forward(Zeros(2, 5, 3), training: true);
        var error = Assert.Throws<ArgumentException>(() => rnn.Backward(Zeros(2, 4)));
        Assert.Contains("Layer 'simple_rnn' expects the output gradient to have shape [2, 5, 4]", error.Message, StringComparison.Ordinal);
        Assert.Contains("but received [2, 4]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Backward_ThrowsForFinalStateGradientWithoutReturnState()
    {
        var lstm = new Lstm(4, inputShape: (null, 3));
        lstm.Forward(Zeros(2, 5, 3), training: true);
        var error = Assert.Throws<ArgumentException>(() => lstm.Backward(Zeros(2, 4), Zeros(1, 2, 4)));
        Assert.Contains("returnState: true", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Backward_ThrowsForWrongFinalStateGradientShape()
    {
        var lstm = new Lstm(4, returnState: true, inputShape: (null, 3));
        lstm.Forward(Zeros(2, 5, 3), training: true);
        var error = Assert.Throws<ArgumentException>(() => lstm.Backward(Zeros(2, 4), Zeros(1, 3, 4)));
        Assert.Contains("final hidden state gradient to have shape [1, 2, 4]", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1, 0f)]
    [InlineData(4, 0, 0f)]
    [InlineData(4, 2, 1f)]
    [InlineData(4, 2, -0.1f)]
    [InlineData(4, 2, float.NaN)]
    public void Constructor_ThrowsForInvalidOptions(int units, int numLayers, float dropout)
        => Assert.ThrowsAny<ArgumentOutOfRangeException>(() => new Lstm(units, numLayers: numLayers, dropout: dropout));

    [Theory]
    [InlineData(1f)]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Constructor_ThrowsForInvalidRecurrentDropout(float recurrentDropout)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Gru(3, recurrentDropout: recurrentDropout));
        Assert.Equal("recurrentDropout", error.ParamName);
        Assert.Contains($"Layer 'gru': recurrentDropout must be in [0, 1) but was {recurrentDropout.ToString(System.Globalization.CultureInfo.InvariantCulture)}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(-0.5f)]
    [InlineData(float.NaN)]
    public void Constructor_ThrowsForInvalidInputDropout(float inputDropout)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Lstm(3, inputDropout: inputDropout));
        Assert.Equal("inputDropout", error.ParamName);
        Assert.Contains("Layer 'lstm': inputDropout must be in [0, 1)", error.Message, StringComparison.Ordinal);
    }

    /// <summary>PyTorch only warns that dropout with one layer does nothing; here it is an error that points Keras users to inputDropout.</summary>
    [Fact]
    public void Constructor_DropoutWithOneLayer_ThrowsPointingToInputAndRecurrentDropout()
    {
        var error = Assert.Throws<ArgumentException>(() => new SimpleRnn(3, dropout: 0.2f));
        Assert.Equal("dropout", error.ParamName);
        Assert.Contains(
            "Layer 'simple_rnn' has dropout 0.2 but numLayers 1: dropout (PyTorch's) acts between stacked layers, so it would do nothing here. For Keras's dropout on the layer's inputs use inputDropout; on its state, recurrentDropout.",
            error.Message,
            StringComparison.Ordinal);
        Assert.Equal(0.2f, new SimpleRnn(3, numLayers: 2, dropout: 0.2f).Dropout);
    }

    [Fact]
    public void Constructor_ThrowsForInvalidInputShape()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Gru(3, inputShape: (10, 0)));
        Assert.Contains("Layer 'gru': inputShape must be (time ≥ 1 or null, features ≥ 1) but was (10, 0)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Name_ThrowsForInvalidCharacters()
    {
        var error = Assert.Throws<ArgumentException>(() => new Lstm(3, name: "my layer"));
        Assert.Contains("received 'my layer'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Forward_PropagatesNaNInputsInsteadOfClampingThem(int kind)
    {
        Recurrent layer = kind switch
        {
            0 => new Lstm(17, inputShape: (null, 3)),
            1 => new Gru(17, inputShape: (null, 3)),
            2 => new SimpleRnn(17, inputShape: (null, 3)),
            _ => new SimpleRnn(17, RnnActivation.Relu, inputShape: (null, 3)),
        };
        var x = Zeros(2, 4, 3);
        TestUtil.Span(x)[(4 * 3) + 1] = float.NaN;
        var output = TestUtil.Span(layer.Forward(x));
        Assert.All(output[..17].ToArray(), v => Assert.False(float.IsNaN(v)));
        Assert.All(output[17..].ToArray(), v => Assert.True(float.IsNaN(v)));
    }
}
