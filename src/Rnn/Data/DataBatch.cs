using System.Numerics.Tensors;

namespace Rnn.Data;

/// <summary>One batch from a <see cref="BatchSource"/>.</summary>
/// <param name="X">Inputs, [samples, ...] as the model takes them (for recurrent models [samples, time, features]).</param>
/// <param name="Y">Targets, [samples, ...] as the loss takes them; training and evaluation need them, prediction ignores them (null for none).</param>
/// <param name="SampleWeight">Weights of the loss and of the weighted metrics, [samples] or [samples, time] as <see cref="Sequential.Fit(Tensor{float}, Tensor{float}, int, int, float, ValueTuple{Tensor{float}, Tensor{float}}?, bool, IReadOnlyDictionary{int, float}?, Tensor{float}?, Tensor{float}?, IEnumerable{Models.Callback}?, int, Models.NonFiniteLoss, int, CancellationToken)"/> takes them; null for none.</param>
public sealed record DataBatch(Tensor<float> X, Tensor<float>? Y = null, Tensor<float>? SampleWeight = null);
