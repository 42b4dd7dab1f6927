namespace Rnn.Kernels;

/// <summary>
/// A row count known to the JIT: <see cref="GemmKernel"/> is written once for up to
/// <see cref="GemmKernel.MaxRows"/> rows with every row guarded by <c>if (TRows.Value &gt; r)</c>, and each
/// struct below instantiates it with the unused rows (and their accumulators) removed at compile time.
/// </summary>
internal interface IRowCount
{
    /// <summary>Rows of the micro-tile.</summary>
    static abstract int Value { get; }
}

internal readonly struct Rows1 : IRowCount
{
    public static int Value => 1;
}

internal readonly struct Rows2 : IRowCount
{
    public static int Value => 2;
}

internal readonly struct Rows3 : IRowCount
{
    public static int Value => 3;
}

internal readonly struct Rows4 : IRowCount
{
    public static int Value => 4;
}

internal readonly struct Rows5 : IRowCount
{
    public static int Value => 5;
}

internal readonly struct Rows6 : IRowCount
{
    public static int Value => 6;
}

internal readonly struct Rows7 : IRowCount
{
    public static int Value => 7;
}

internal readonly struct Rows8 : IRowCount
{
    public static int Value => 8;
}

internal readonly struct Rows9 : IRowCount
{
    public static int Value => 9;
}

internal readonly struct Rows10 : IRowCount
{
    public static int Value => 10;
}

internal readonly struct Rows11 : IRowCount
{
    public static int Value => 11;
}

internal readonly struct Rows12 : IRowCount
{
    public static int Value => 12;
}

internal readonly struct Rows13 : IRowCount
{
    public static int Value => 13;
}

internal readonly struct Rows14 : IRowCount
{
    public static int Value => 14;
}
