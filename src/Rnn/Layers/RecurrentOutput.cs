using System.Numerics.Tensors;

namespace Rnn.Layers;

/// <summary>What a recurrent layer's forward pass returns.</summary>
/// <param name="Output">
/// [batch, time, W] when the layer returns sequences, otherwise [batch, W] (the last output of each direction,
/// merged); W = <see cref="Recurrent.OutputFeatures"/>: units · directions, or units when a bidirectional layer's
/// <see cref="Recurrent.MergeMode"/> sums, averages or multiplies the directions.
/// </param>
/// <param name="FinalHidden">h after the last step of every layer and direction, [numLayers · directions, batch, units] (PyTorch's <c>h_n</c>), when the layer returns state; otherwise null.</param>
/// <param name="FinalCell">c likewise for Lstm (PyTorch's <c>c_n</c>); null for other layers or when the layer does not return state.</param>
public sealed record RecurrentOutput(Tensor<float> Output, Tensor<float>? FinalHidden, Tensor<float>? FinalCell);

/// <summary>What a recurrent layer's backward pass returns.</summary>
/// <param name="Input">dL/dinput, [batch, time, features].</param>
/// <param name="InitialHidden">dL/dh0, [numLayers · directions, batch, units], when an initial hidden state was given; otherwise null.</param>
/// <param name="InitialCell">dL/dc0 likewise for Lstm, when an initial cell state was given; otherwise null.</param>
public sealed record RecurrentGradients(Tensor<float> Input, Tensor<float>? InitialHidden, Tensor<float>? InitialCell);
