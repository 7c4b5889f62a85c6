using System.Security.Cryptography;
using DashAI.Functions.Http;

namespace DashAI.Functions.Datasets;

/// <summary>An upload written to local temp storage: its size and SHA-256, computed while it streamed by.</summary>
public sealed record StoredUpload(string Path, long Bytes, string Sha256, string? FileName);

public static class UploadFiles
{
    /// <summary>
    /// Streams <paramref name="source"/> to <paramref name="destinationPath"/> in 80 KiB chunks, hashing as it goes;
    /// more than <paramref name="maxBytes"/> is a 413 (the partial file is left for the caller's cleanup).
    /// </summary>
    public static async Task<StoredUpload> SaveAsync(Stream source, string destinationPath, long maxBytes, string? fileName, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long total = 0;
        await using (var destination = new FileStream(destinationPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
                if (total > maxBytes)
                {
                    throw new PayloadTooLargeException($"The upload is larger than the limit of {maxBytes} bytes.");
                }

                hash.AppendData(buffer, 0, read);
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }

        return new StoredUpload(destinationPath, total, Convert.ToHexStringLower(hash.GetHashAndReset()), fileName);
    }
}
