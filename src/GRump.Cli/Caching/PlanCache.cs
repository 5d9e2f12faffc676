using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using GRump.Gateway.V1;

namespace GRump.Cli.Caching;

/// <summary>
/// The client-side cache of plan results: a repeated <c>grump plan</c> is answered from disk without a call. One file
/// per request, named by a SHA-256 of everything that decides the answer (gateway URL, API key, model, message); it
/// holds the streamed events exactly as they came, so a replay prints the same thing. Entries live one hour.
/// </summary>
internal sealed class PlanCache(string directory, TimeProvider time)
{
    public static readonly TimeSpan TimeToLive = TimeSpan.FromHours(1);

    private const string Extension = ".plan";

    // Format version in the file and in the key: an older CLI's entries are ignored, never misread.
    private static ReadOnlySpan<byte> Magic => "GRUMPPL1"u8;

    public string Directory => directory;

    /// <summary>The entry's name: hex SHA-256 over the gateway, the key's own hash (never the key), and the request.</summary>
    public static string Key(Uri gateway, string? apiKey, PlanRequest request)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(request);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Magic);
        hash.AppendData(Encoding.UTF8.GetBytes(gateway.GetLeftPart(UriPartial.Path).TrimEnd('/').ToLowerInvariant() + "\n"));
        hash.AppendData(string.IsNullOrEmpty(apiKey) ? [] : SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)));
        var identity = new PlanRequest { Message = request.Message, Model = request.Model };
        hash.AppendData(identity.ToByteArray());
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The cached events and when they were saved; false when absent, expired or unreadable (then removed).</summary>
    public bool TryRead(string key, out CachedPlan plan)
    {
        plan = default;
        var path = PathOf(key);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        if (bytes.Length < Magic.Length + sizeof(long) || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            TryDelete(path);
            return false;
        }
        var saved = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(Magic.Length)));
        var age = time.GetUtcNow() - saved;
        if (age >= TimeToLive || age < -TimeSpan.FromMinutes(5))
        {
            TryDelete(path);
            return false;
        }

        var events = new List<PlanResponse>();
        try
        {
            using var stream = new MemoryStream(bytes, Magic.Length + sizeof(long), bytes.Length - Magic.Length - sizeof(long), writable: false);
            while (stream.Position < stream.Length)
            {
                events.Add(PlanResponse.Parser.ParseDelimitedFrom(stream));
            }
        }
        catch (InvalidProtocolBufferException)
        {
            TryDelete(path);
            return false;
        }
        plan = new CachedPlan(events, saved);
        return true;
    }

    /// <summary>Saves a finished plan (atomically: a reader sees the old entry or the whole new one).</summary>
    public void Write(string key, IReadOnlyList<PlanResponse> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        CreateDirectory();
        var path = PathOf(key);
        var temp = path + "." + Guid.CreateVersion7().ToString("N") + ".tmp";
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                file.Write(Magic);
                Span<byte> saved = stackalloc byte[sizeof(long)];
                BinaryPrimitives.WriteInt64LittleEndian(saved, time.GetUtcNow().ToUnixTimeMilliseconds());
                file.Write(saved);
                foreach (var item in events)
                {
                    item.WriteDelimitedTo(file);
                }
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        RemoveExpired();
    }

    /// <summary>Removes every cached plan; returns how many there were.</summary>
    public int Clear()
    {
        if (!System.IO.Directory.Exists(directory))
        {
            return 0;
        }
        var removed = 0;
        foreach (var file in System.IO.Directory.EnumerateFiles(directory))
        {
            if (file.EndsWith(Extension, StringComparison.Ordinal))
            {
                removed += TryDelete(file) ? 1 : 0;
            }
            else if (file.EndsWith(".tmp", StringComparison.Ordinal))
            {
                TryDelete(file);
            }
        }
        return removed;
    }

    private void RemoveExpired()
    {
        var now = time.GetUtcNow();
        Span<byte> header = stackalloc byte[Magic.Length + sizeof(long)];
        foreach (var file in System.IO.Directory.EnumerateFiles(directory, "*" + Extension))
        {
            try
            {
                using (var stream = File.OpenRead(file))
                {
                    // Only the header: the saved-at time decides, on the same clock as reads.
                    if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) == header.Length
                        && now - DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(header[Magic.Length..])) < TimeToLive)
                    {
                        continue;
                    }
                }
                TryDelete(file);
            }
            catch (IOException)
            {
                // Another grump removed or is replacing it: nothing to sweep.
            }
        }
    }

    private void CreateDirectory()
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        else
        {
            // Plans may hold private project details: only the user reads them.
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private string PathOf(string key) => Path.Combine(directory, key + Extension);

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}

/// <summary>A plan read from the client cache: its events as streamed, and when it was saved.</summary>
internal readonly record struct CachedPlan(IReadOnlyList<PlanResponse> Events, DateTimeOffset SavedAt);
