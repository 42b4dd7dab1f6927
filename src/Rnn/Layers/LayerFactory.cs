namespace Rnn.Layers;

/// <summary>Recreates layers from the type names and configurations that model files store.</summary>
internal static class LayerFactory
{
    /// <summary>The layer of kind <paramref name="type"/> named <paramref name="name"/> with <paramref name="config"/>.</summary>
    /// <param name="type">The kind: a built-in layer's class name, or a custom layer's full type name.</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="config">Its settings.</param>
    /// <param name="customLayers">Factories of custom layers by full type name, or null.</param>
    /// <exception cref="InvalidDataException">The type is unknown, or the configuration is not valid or has a setting this version does not know.</exception>
    public static Layer Create(string type, string name, IReadOnlyDictionary<string, string> config, IReadOnlyDictionary<string, CustomLayerFactory>? customLayers = null)
    {
        if (customLayers is not null && customLayers.TryGetValue(type, out var factory))
        {
            return CreateCustom(factory, type, name, config);
        }

        var read = new LayerConfig.Reader(type, name, config);
        try
        {
            Layer layer = type switch
            {
                nameof(Lstm) => new Lstm(
                    read.Int("units"), read.Bool("return_sequences", false), returnState: false, read.Bool("go_backwards", false), read.Bool("bidirectional", false),
                    read.Enum("merge_mode", BidirectionalMerge.Concat), read.Int("num_layers"), read.StackDropout(), read.Float("recurrent_dropout", 0f), read.Float("input_dropout", 0f), read.Bool("use_bias", true),
                    read.Enum("initialization", Initializers.WeightInitialization.Keras), seed: read.OptionalInt("seed"), name: name, stateful: read.Bool("stateful", false)),
                nameof(Gru) => new Gru(
                    read.Int("units"), read.Bool("return_sequences", false), returnState: false, read.Bool("go_backwards", false), read.Bool("bidirectional", false),
                    read.Enum("merge_mode", BidirectionalMerge.Concat), read.Int("num_layers"), read.StackDropout(), read.Float("recurrent_dropout", 0f), read.Float("input_dropout", 0f), read.Bool("use_bias", true),
                    read.Enum("initialization", Initializers.WeightInitialization.Keras), seed: read.OptionalInt("seed"), name: name, stateful: read.Bool("stateful", false)),
                nameof(SimpleRnn) => new SimpleRnn(
                    read.Int("units"), read.String("activation", "tanh") switch
                    {
                        "tanh" => RnnActivation.Tanh,
                        "relu" => RnnActivation.Relu,
                        var other => throw new InvalidDataException($"Layer '{name}' (SimpleRnn) in the model file has activation '{other}', but it must be tanh or relu."),
                    },
                    read.Bool("return_sequences", false), returnState: false, read.Bool("go_backwards", false), read.Bool("bidirectional", false),
                    read.Enum("merge_mode", BidirectionalMerge.Concat), read.Int("num_layers"), read.StackDropout(), read.Float("recurrent_dropout", 0f), read.Float("input_dropout", 0f), read.Bool("use_bias", true),
                    read.Enum("initialization", Initializers.WeightInitialization.Keras), seed: read.OptionalInt("seed"), name: name, stateful: read.Bool("stateful", false)),
                nameof(Dense) => new Dense(
                    read.Int("units"), ActivationFunctions.Parse(read.String("activation", "linear")), read.Bool("use_bias", true),
                    initialization: read.Enum("initialization", Initializers.WeightInitialization.Keras), seed: read.OptionalInt("seed"), name: name),
                nameof(Dropout) => new Dropout(read.Float("rate", 0f), read.OptionalInt("seed"), name),
                nameof(Embedding) => new Embedding(
                    read.Int("input_dim"), read.Int("output_dim"), read.Bool("mask_zero", false),
                    initialization: read.Enum("initialization", Initializers.WeightInitialization.Keras), seed: read.OptionalInt("seed"), name: name),
                nameof(Masking) => new Masking(read.Float("mask_value", 0f), name: name),
                nameof(ActivationLayer) => new ActivationLayer(ActivationFunctions.Parse(read.String("activation", "linear")), name),
                nameof(RepeatVector) => new RepeatVector(read.Int("n"), name),
                nameof(LayerNormalization) => new LayerNormalization(read.Float("epsilon", 1e-3f), read.Bool("center", true), read.Bool("scale", true), name: name),
                nameof(GlobalAveragePooling1D) => new GlobalAveragePooling1D(read.Bool("keepdims", false), name),
                nameof(GlobalMaxPooling1D) => new GlobalMaxPooling1D(read.Bool("keepdims", false), name),
                _ => throw new InvalidDataException(
                    $"Layer '{name}' in the model file has type '{type}', which this version does not know; known types: Lstm, Gru, SimpleRnn, Dense, Dropout, Embedding, Masking, ActivationLayer, LayerNormalization, RepeatVector, GlobalAveragePooling1D, GlobalMaxPooling1D. "
                    + $"If '{type}' is a custom layer, pass a factory for it: Sequential.Load(path, new Dictionary<string, CustomLayerFactory> {{ [\"{type}\"] = (name, settings) => ... }})."),
            };
            read.EnsureAllRead();
            return layer;
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Layer '{name}' ({type}) in the model file has an invalid configuration: {e.Message}", e);
        }
    }

    private static CustomLayer CreateCustom(CustomLayerFactory factory, string type, string name, IReadOnlyDictionary<string, string> config)
    {
        CustomLayer layer;
        try
        {
            layer = factory(name, config) ?? throw new InvalidDataException($"The factory for custom layer type '{type}' returned null for layer '{name}'.");
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"Layer '{name}' ({type}) in the model file could not be recreated by its factory: {e.Message}", e);
        }

        if (layer.TypeName != type)
        {
            throw new InvalidDataException($"The factory for custom layer type '{type}' made a {layer.TypeName} for layer '{name}'; it must make a {type}.");
        }

        if (layer.Name != name)
        {
            throw new InvalidDataException($"The factory for custom layer type '{type}' named the layer '{layer.Name}' instead of '{name}', the name the file gives it: pass the name to the layer's constructor.");
        }

        return layer;
    }
}
