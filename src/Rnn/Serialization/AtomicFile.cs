namespace Rnn.Serialization;

/// <summary>
/// Writes a file so that a reader sees either the previous file or the complete new one, never a part: the
/// bytes go to a temporary file in the same directory, which is flushed to disk and then renamed over the
/// destination. Every writer of files in the library (safetensors, ONNX, text vectorizers) goes through it.
/// </summary>
internal static class AtomicFile
{
    /// <summary>
    /// Creates or replaces <paramref name="path"/> with what <paramref name="write"/> writes. If
    /// <paramref name="write"/> throws, or the flush or rename fails, the temporary file is deleted and the
    /// exception propagates: nothing at <paramref name="path"/> has changed.
    /// </summary>
    /// <param name="path">The file to create or replace; its directory must exist.</param>
    /// <param name="bufferBytes">The file stream's buffer size.</param>
    /// <param name="write">Writes the content to the stream it is given (and flushes any stream it wraps around it).</param>
    public static void Write(string path, int bufferBytes, Action<FileStream> write)
    {
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath)!;
        // Same directory, so the final rename never crosses file systems; hidden and ending in .tmp, so a
        // half-written file is never mistaken for a finished one.
        var temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Path.GetRandomFileName()}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferBytes))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the original failure is the one to report.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }
}
