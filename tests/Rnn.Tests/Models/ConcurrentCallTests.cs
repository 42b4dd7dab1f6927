using System.Numerics.Tensors;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Models;
using Rnn.Optimizers;

namespace Rnn.Tests.Models;

/// <summary>
/// A model runs one call at a time: a second thread calling it while a call runs gets a clear exception instead of
/// overwriting the running call's buffers; the thread already inside (a callback) may call it; the model is free again
/// when the call ends, also when it ends with an exception. Each test makes the overlap certain by calling from another
/// thread inside a callback of <c>Fit</c>, which holds the model.
/// </summary>
public sealed class ConcurrentCallTests
{
    private static (Sequential Model, Tensor<float> X, Tensor<float> Y) Model()
    {
        var model = new Sequential([new Gru(4, inputShape: (null, 2)), new Dense(1)], seed: 1);
        model.Compile(new Sgd(0.05f), Loss.MeanSquaredError);
        return (model, TestUtil.RandomTensor(2, 16, 5, 2), TestUtil.RandomTensor(3, 16, 1));
    }

    private static Exception? OnAnotherThread(Action action)
    {
        Exception? caught = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                caught = e;
            }
        });
        thread.Start();
        thread.Join();
        return caught;
    }

    [Fact]
    public void AnotherThread_DuringFit_GetsBusyErrors_AndTrainingIsUnharmed()
    {
        var (model, x, y) = Model();
        var (twin, _, _) = Model();
        var errors = new List<Exception?>();
        var callback = new LambdaCallback(onEpochEnd: (_, _) =>
        {
            errors.Add(OnAnotherThread(() => model.Predict(x)));
            errors.Add(OnAnotherThread(() => model.Evaluate(x, y)));
            errors.Add(OnAnotherThread(() => model.TrainOnBatch(x, y)));
            errors.Add(OnAnotherThread(() => model.StartStreaming(16).Run(x)));
            errors.Add(OnAnotherThread(() => model.SetWeights(model.GetWeights())));
        });

        var history = model.Fit(x, y, epochs: 2, batchSize: 8, shuffle: false, callbacks: [callback], verbose: 0);
        var twinHistory = twin.Fit(x, y, epochs: 2, batchSize: 8, shuffle: false, verbose: 0);

        Assert.Equal(10, errors.Count);
        Assert.All(errors, e =>
        {
            var busy = Assert.IsType<InvalidOperationException>(e);
            Assert.Contains("Model 'sequential' is busy", busy.Message, StringComparison.Ordinal);
            Assert.Contains("one call at a time", busy.Message, StringComparison.Ordinal);
        });
        // The refused calls changed nothing: the same training without them gives the same numbers.
        Assert.Equal(twinHistory["loss"], history["loss"]);
        Assert.Equal(TestUtil.Span(twin.Predict(x)).ToArray(), TestUtil.Span(model.Predict(x)).ToArray());
    }

    [Fact]
    public void TheThreadInsideFit_MayCallTheModel_AndOthersMayAfterwards()
    {
        var (model, x, y) = Model();
        Tensor<float>? inside = null;
        model.Fit(x, y, epochs: 1, verbose: 0, callbacks: [new LambdaCallback(onEpochEnd: (_, _) => inside = model.Predict(x))]);

        Assert.NotNull(inside);
        Assert.Null(OnAnotherThread(() => Assert.Equal(TestUtil.Span(inside).ToArray(), TestUtil.Span(model.Predict(x)).ToArray())));
    }

    [Fact]
    public void ACallThatThrows_FreesTheModel()
    {
        var (model, x, _) = Model();

        Assert.Throws<ArgumentException>(() => model.Predict(TestUtil.RandomTensor(4, 3, 5, 7)));

        Assert.Null(OnAnotherThread(() => model.Predict(x)));
    }
}
