using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Rnn.Tests.Docs;

/// <summary>
/// Every C# snippet in the README and the samples' READMEs compiles against the library as it is, so that no renamed
/// parameter or type leaves the documentation behind. A snippet that uses variables it does not declare gets them from
/// an HTML comment right above it (invisible where the Markdown is rendered):
/// <code>
/// &lt;!-- snippet setup:
/// float[] scaledSeries = new float[100];
/// --&gt;
/// </code>
/// Each snippet is compiled as the top-level statements of a program: its own <c>using</c> lines, then the setup, then
/// the rest, with the library's namespaces imported as well. Compiling is the check; the snippets are not run (several
/// read files that only exist on the reader's machine).
/// </summary>
public sealed class DocSnippetsTests
{
    private const string SetupStart = "<!-- snippet setup:";

    private static readonly string[] Documents =
    [
        "README.md",
        "samples/FashionMnistRows/README.md",
        "samples/TextClassification/README.md",
        "samples/TextGeneration/README.md",
    ];

    private static readonly string GlobalUsings = string.Concat(
        new[]
        {
            "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Numerics.Tensors", "Rnn", "Rnn.Data",
            "Rnn.Layers", "Rnn.Losses", "Rnn.Metrics", "Rnn.Models", "Rnn.Optimizers", "Rnn.Serialization",
        }.Select(n => $"global using {n};\n"));

    private static readonly Lazy<MetadataReference[]> References = new(() =>
        [.. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => path.EndsWith(".dll", StringComparison.Ordinal))
            .Select(path => MetadataReference.CreateFromFile(path))]);

    public static TheoryData<string, int> Snippets()
    {
        var data = new TheoryData<string, int>();
        foreach (var document in Documents)
        {
            foreach (var snippet in Read(document))
            {
                data.Add(document, snippet.Line);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Snippets))]
    public void Snippet_Compiles(string document, int line)
    {
        var snippet = Read(document).Single(s => s.Line == line);
        var usings = snippet.Code.TakeWhile(l => l.StartsWith("using ", StringComparison.Ordinal) || l.Length == 0).ToList();
        var program = new StringBuilder();
        foreach (var part in (IEnumerable<string>[])[usings, snippet.Setup, snippet.Code.Skip(usings.Count)])
        {
            foreach (var text in part)
            {
                program.Append(text).Append('\n');
            }
        }

        var compilation = CSharpCompilation.Create(
            "Snippet",
            [
                CSharpSyntaxTree.ParseText(GlobalUsings, CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Preview)),
                CSharpSyntaxTree.ParseText(program.ToString(), CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Preview)),
            ],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var output = new MemoryStream();
        var result = compilation.Emit(output);

        var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        Assert.True(result.Success, $"The snippet at {document}:{line} does not compile:\n{string.Join('\n', errors)}\n--- compiled as ---\n{program}");
    }

    [Fact]
    public void Documents_HoldTheSnippetsThisTestExpects()
    {
        // The parser must find the snippets, or the theory above would pass on nothing.
        Assert.True(Read("README.md").Count >= 9, $"Found {Read("README.md").Count} C# snippets in README.md.");
        Assert.All(Documents.Skip(1), document => Assert.Single(Read(document)));
    }

    private static List<Snippet> Read(string document)
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot(), document));
        var snippets = new List<Snippet>();
        List<string>? setup = null;
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith(SetupStart, StringComparison.Ordinal))
            {
                setup = [];
                while (!lines[++i].StartsWith("-->", StringComparison.Ordinal))
                {
                    setup.Add(lines[i]);
                }
            }
            else if (lines[i] == "```csharp")
            {
                var start = i + 1;
                while (lines[++i] != "```")
                {
                }

                snippets.Add(new Snippet(start + 1, setup ?? [], lines[start..i]));
                setup = null;
            }
            else if (lines[i].Length > 0 && setup is not null)
            {
                throw new InvalidDataException($"{document}:{i + 1}: a snippet setup comment must come right before its ```csharp block.");
            }
        }

        return snippets;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Rnn.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No directory above {AppContext.BaseDirectory} holds Rnn.sln.");
    }

    private sealed record Snippet(int Line, List<string> Setup, string[] Code);
}
