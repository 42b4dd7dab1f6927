using System.Globalization;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using Rnn.Layers;

namespace Rnn.Tests.Serialization;

/// <summary>Runs exported files in ONNX Runtime and compares them with <see cref="Sequential.Predict(Tensor{float}, int)"/>.</summary>
public static class OnnxTestUtil
{
    /// <summary>The tolerance of every comparison: max |ONNX Runtime - Predict| over all outputs.</summary>
    public const double Tolerance = 1e-5;

    /// <summary>Gives every parameter random values, biases included, so that a misplaced gate block or bias shows.</summary>
    public static void Randomize(Sequential model, int seed)
    {
        var random = new Random(seed);
        foreach (var parameter in model.Parameters)
        {
            // Matrices ±1/√columns (their fan-in) keep relu networks' values O(1); biases ±0.5.
            var scale = parameter.Shape.Count == 2 ? 1.0 / Math.Sqrt(parameter.Shape[1]) : 0.5;
            parameter.Assign(TestUtil.ToFloats(TestUtil.RandomArray(random, parameter.Length, scale)));
        }
    }

    /// <summary>Uniform values in [-1, 1].</summary>
    public static float[] RandomInput(int seed, int length) => TestUtil.ToFloats(TestUtil.RandomArray(new Random(seed), length));

    /// <summary>Runs the file at <paramref name="path"/> on one input; returns the output and its shape.</summary>
    public static (float[] Values, long[] Shape) Run(string path, float[] input, long[] shape, string inputName = "input", string outputName = "output")
    {
        using var session = new InferenceSession(path);
        return Run(session, input, shape, inputName, outputName);
    }

    public static (float[] Values, long[] Shape) Run(InferenceSession session, float[] input, long[] shape, string inputName = "input", string outputName = "output")
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [inputName], [value], [outputName]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[0].GetTensorTypeAndShape().Shape);
    }

    /// <summary>
    /// Runs <paramref name="model"/>'s exported file and <see cref="Sequential.Predict(Tensor{float}, int)"/> on
    /// the same input and asserts that shapes match and values differ by at most <see cref="Tolerance"/>;
    /// returns the largest difference.
    /// </summary>
    public static double AssertMatchesPredict(Sequential model, string path, float[] input, params int[] shape)
    {
        var expected = model.Predict(TestUtil.ToTensor(input, shape));
        var (actual, actualShape) = Run(path, input, [.. shape.Select(s => (long)s)]);
        Assert.Equal(TestUtil.Shape(expected), actualShape.Select(s => (int)s).ToArray());
        var worst = MaxDifference(TestUtil.Span(expected), actual, out var at);
        Assert.True(
            worst <= Tolerance,
            string.Create(CultureInfo.InvariantCulture, $"ONNX Runtime differs from Predict by {worst:G4} at [{at}] (Predict {TestUtil.Span(expected)[at]:G9}, ONNX Runtime {actual[at]:G9}); tolerance {Tolerance:G3}."));
        return worst;
    }

    public static double MaxDifference(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, out int at)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0.0;
        at = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var difference = Math.Abs((double)expected[i] - actual[i]);
            if (double.IsNaN(difference))
            {
                difference = double.PositiveInfinity;
            }

            if (difference > worst)
            {
                worst = difference;
                at = i;
            }
        }

        return worst;
    }

    public static Recurrent Recurrent(string cell, int units, bool returnSequences = false, bool goBackwards = false, bool bidirectional = false,
        int numLayers = 1, bool useBias = true, (int? Time, int Features)? inputShape = null, BidirectionalMerge mergeMode = BidirectionalMerge.Concat) => cell switch
        {
            "lstm" => new Lstm(units, returnSequences, goBackwards: goBackwards, bidirectional: bidirectional, mergeMode: mergeMode, numLayers: numLayers, useBias: useBias, inputShape: inputShape),
            "gru" => new Gru(units, returnSequences, goBackwards: goBackwards, bidirectional: bidirectional, mergeMode: mergeMode, numLayers: numLayers, useBias: useBias, inputShape: inputShape),
            "rnn_tanh" => new SimpleRnn(
                units, RnnActivation.Tanh, returnSequences, goBackwards: goBackwards, bidirectional: bidirectional, mergeMode: mergeMode, numLayers: numLayers, useBias: useBias, inputShape: inputShape),
            "rnn_relu" => new SimpleRnn(
                units, RnnActivation.Relu, returnSequences, goBackwards: goBackwards, bidirectional: bidirectional, mergeMode: mergeMode, numLayers: numLayers, useBias: useBias, inputShape: inputShape),
            _ => throw new ArgumentOutOfRangeException(nameof(cell), cell, "Unknown cell."),
        };
}
