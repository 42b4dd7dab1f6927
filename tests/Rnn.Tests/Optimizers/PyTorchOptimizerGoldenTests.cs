using System.Globalization;
using Xunit.Abstractions;

namespace Rnn.Tests.Optimizers;

/// <summary>
/// Our optimizers replay the gradients of real <c>torch.optim</c> runs (files written by
/// tests/GoldenGenerator) and follow PyTorch's trajectory step by step: the learning rate of every step,
/// the gradients after clipping, and the parameters after every update.
/// </summary>
/// <remarks>
/// SGD, with or without momentum, weight decay, value clipping and schedules, is bit-identical: its
/// operations (fused add-with-alpha) round exactly as libtorch's. The other cases differ by an ulp here
/// and there, for known reasons: libtorch's x86 square root (MKL) is not correctly rounded; TorchSharp's
/// Adam, NAdam, Adamax and centered RMSprop compute moving averages as <c>mul_(β).add_(g, alpha=1-β)</c>
/// where PyTorch's Python code, which ours follows, uses <c>lerp_</c>; and libtorch sums squares for norm
/// clipping in float32. RAdam and decoupled weight decay come from a transcript of the Python code onto
/// libtorch's operations, because TorchSharp's RAdam is wrong once rectified and neither port has
/// decoupled weight decay (see Fixtures/README.md).
/// Errors are measured as |ours - PyTorch| / max(|PyTorch|, 1): relative for values of magnitude ≥ 1,
/// absolute below, because a value that crosses zero has no meaningful relative error.
/// </remarks>
public class PyTorchOptimizerGoldenTests(ITestOutputHelper output)
{
    /// <summary>Measured worst 1.2e-7 (two ulps of a value near 0.5, one near 1).</summary>
    private const double RoundingTolerance = 2.5e-7;

    /// <summary>Measured worst 3.0e-7: a one-ulp difference in libtorch's norm, carried by momentum through later steps.</summary>
    private const double GlobalNormTolerance = 5e-7;

    private static readonly string[] ExpectedCases =
    [
        "sgd", "sgd_momentum", "sgd_nesterov", "sgd_dampening_weight_decay",
        "adam", "adam_amsgrad_weight_decay", "adamw", "adamw_amsgrad",
        "rmsprop", "rmsprop_centered_momentum", "adagrad", "adagrad_lr_decay_initial_accumulator",
        "sgd_clip_grad_norm", "sgd_clip_grad_norm_per_parameter", "sgd_clip_grad_value",
        "sgd_step_lr", "sgd_exponential_lr", "adam_cosine_annealing_lr",
        "nadam", "nadam_weight_decay_momentum_decay", "nadam_decoupled_weight_decay",
        "radam", "radam_weight_decay", "radam_decoupled_weight_decay",
        "adamax", "adamax_weight_decay", "adadelta", "adadelta_weight_decay",
        "sgd_linear_lr", "adam_polynomial_lr", "sgd_multi_step_lr", "sgd_cosine_annealing_warm_restarts", "adam_one_cycle_lr",
    ];

    /// <summary>Cases run for more than 10 steps, long enough to pass every boundary, restart and the last step of their schedules.</summary>
    private static readonly Dictionary<string, int> LongerCases = new()
    {
        ["sgd_linear_lr"] = 16,
        ["adam_polynomial_lr"] = 16,
        ["sgd_multi_step_lr"] = 16,
        ["sgd_cosine_annealing_warm_restarts"] = 24,
        ["adam_one_cycle_lr"] = 20,
    };

    public static TheoryData<string> Cases() => [.. OptimizerGoldenFile.Names];

    [Fact]
    public void GoldenFiles_CoverEveryOptimizerClippingAndSchedule()
    {
        Assert.Equal(ExpectedCases.Order(StringComparer.Ordinal), OptimizerGoldenFile.Names);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GoldenFile_HasInitialValuesGradientsAndTrajectoryPerParameter(string name)
    {
        var golden = OptimizerGoldenFile.Load(name);
        Assert.Equal(LongerCases.GetValueOrDefault(name, 10), golden.Steps);
        Assert.Equal(2, golden.ParameterCount);
        for (var j = 0; j < golden.ParameterCount; j++)
        {
            var shape = golden[$"initial.{j}"].Shape;
            int[] stepped = [golden.Steps, .. shape];
            Assert.Equal(stepped, golden[$"grad.{j}"].Shape);
            Assert.Equal(stepped, golden[$"param.{j}"].Shape);
            Assert.Equal(golden.Metadata.ContainsKey("clip"), golden.Tensors.ContainsKey($"clipped_grad.{j}"));
        }

        Assert.Equal(golden.Metadata.ContainsKey("scheduler"), golden.Tensors.ContainsKey("lr"));
        Assert.StartsWith("TorchSharp ", golden.Metadata["generator"], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Optimizer_FollowsPyTorchTrajectory(string name)
    {
        var golden = OptimizerGoldenFile.Load(name);
        var parameters = golden.CreateParameters();
        var optimizer = golden.CreateOptimizer();
        var clip = golden.Metadata.GetValueOrDefault("clip");
        var bitExact = golden.Metadata["optimizer"] == "SGD" && clip is null or "clip_grad_value";
        var tolerance = bitExact ? 0 : clip == "clip_grad_norm" ? GlobalNormTolerance : RoundingTolerance;

        var worst = 0.0;
        var worstAt = "";
        var differing = 0;
        var compared = 0;
        void Compare(string what, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
        {
            for (var i = 0; i < expected.Length; i++)
            {
                var error = Math.Abs(actual[i] - (double)expected[i]) / Math.Max(Math.Abs(expected[i]), 1);
                compared++;
                differing += actual[i] == expected[i] ? 0 : 1;
                if (!(error <= tolerance))
                {
                    Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                        $"{name}: {what}[{i}] is {actual[i]:R}, PyTorch has {expected[i]:R}: error {error:E2} exceeds {tolerance:E1} of max(|value|, 1)."));
                }

                if (error > worst)
                {
                    (worst, worstAt) = (error, $"{what}[{i}]");
                }
            }
        }

        for (var k = 0; k < golden.Steps; k++)
        {
            for (var j = 0; j < parameters.Length; j++)
            {
                golden.AtStep($"grad.{j}", k).CopyTo(parameters[j].Grad);
            }

            if (golden.Tensors.ContainsKey("lr"))
            {
                Compare($"lr (step {k})", golden["lr"].Data.AsSpan(k, 1), [optimizer.CurrentLearningRate]);
            }

            optimizer.Step(parameters);
            Assert.Equal(k + 1, optimizer.Iterations);
            for (var j = 0; j < parameters.Length; j++)
            {
                if (clip is not null)
                {
                    Compare($"clipped_grad.{j} (step {k})", golden.AtStep($"clipped_grad.{j}", k), parameters[j].Grad);
                }

                Compare($"param.{j} (step {k})", golden.AtStep($"param.{j}", k), parameters[j].Data);
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {differing} of {compared} values differ from PyTorch's; worst error {worst:E2} (at {worstAt}), bound {tolerance:E1}."));
    }
}
