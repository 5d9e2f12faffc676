namespace GRump.Gateway.Caching.Internal;

/// <summary>
/// L3: one file per key under <c>{root}/{namespace}/{hash}.bin</c>, a versioned header with a checksum, written to a
/// temp file and moved over the old one (a reader sees the old file or the new one, never half of one). The total
/// size is kept under a cap by deleting the oldest files; expired files go on a timer.
/// </summary>
internal sealed class DiskTier
{
    private const string Extension = ".bin";
    private const string TempExtension = ".tmp";

    private readonly long _maxBytes;
    private readonly Lock _trimLock = new();
    private long _bytes;

    public DiskTier(string root, long maxBytes)
    {
        Root = root;
        _maxBytes = maxBytes;
        DeleteTempFiles();
    }

    public string Root { get; }

    public long Bytes => Interlocked.Read(ref _bytes);

    public string PathOf(CacheNamespace ns, CacheKey key) => Path.Combine(Root, ns.Name(), key.ToHex() + Extension);

    public async ValueTask<StoredEntry?> GetAsync(CacheNamespace ns, CacheKey key, CancellationToken cancellationToken)
    {
        var path = PathOf(ns, key);
        byte[] data;
        try
        {
            data = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        var stored = EntryCodec.DecodeFile(data, key);
        if (stored is null)
        {
            // Not ours, another version, or damaged: a miss, and the file goes.
            TryDelete(path);
        }

        return stored;
    }

    public async ValueTask<bool> SetAsync(CacheNamespace ns, CacheKey key, CacheEntry entry, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var path = PathOf(ns, key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = string.Concat(path, ".", Guid.CreateVersion7().ToString("N"), TempExtension);
        var header = new byte[EntryCodec.FileHeaderSize];
        EntryCodec.WriteFileHeader(header, key, entry, expiresAt);
        try
        {
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
                await stream.WriteAsync(entry.Value, cancellationToken).ConfigureAwait(false);
            }

            var previous = FileLength(path);
            File.Move(temp, path, overwrite: true);
            Interlocked.Add(ref _bytes, header.Length + entry.Value.Length - previous);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }

        if (Interlocked.Read(ref _bytes) > _maxBytes)
        {
            TrimToCap();
        }

        return true;
    }

    public bool Remove(CacheNamespace ns, CacheKey key)
    {
        var path = PathOf(ns, key);
        var length = FileLength(path);
        if (length == 0)
        {
            return false;
        }

        File.Delete(path);
        Interlocked.Add(ref _bytes, -length);
        return true;
    }

    public long Clear(CacheNamespace? ns)
    {
        long removed = 0;
        foreach (var folder in Folders(ns))
        {
            foreach (var file in folder.EnumerateFiles("*" + Extension))
            {
                var length = file.Length;
                if (TryDelete(file.FullName))
                {
                    Interlocked.Add(ref _bytes, -length);
                    removed++;
                }
            }
        }

        return removed;
    }

    /// <summary>Deletes expired and unreadable entries and recounts the size from what is on disk. Returns how many files went.</summary>
    public int Cleanup(DateTimeOffset now)
    {
        var removed = 0;
        long total = 0;
        Span<byte> header = stackalloc byte[EntryCodec.FileHeaderSize];
        foreach (var folder in Folders(null))
        {
            foreach (var file in folder.EnumerateFiles("*" + Extension))
            {
                if (IsExpiredOrUnreadable(file.FullName, now, header))
                {
                    if (TryDelete(file.FullName))
                    {
                        removed++;
                        continue;
                    }
                }

                total += file.Length;
            }
        }

        Interlocked.Exchange(ref _bytes, total);
        if (total > _maxBytes)
        {
            TrimToCap();
        }

        return removed;
    }

    /// <summary>Deletes the oldest files until the total is at 90 % of the cap (so not every write trims).</summary>
    public void TrimToCap()
    {
        if (!_trimLock.TryEnter())
        {
            return;
        }

        try
        {
            var files = new List<FileInfo>();
            foreach (var folder in Folders(null))
            {
                files.AddRange(folder.EnumerateFiles("*" + Extension));
            }

            files.Sort(static (a, b) => a.LastWriteTimeUtc.CompareTo(b.LastWriteTimeUtc));
            long total = 0;
            foreach (var file in files)
            {
                total += file.Length;
            }

            var target = _maxBytes / 10 * 9;
            foreach (var file in files)
            {
                if (total <= target)
                {
                    break;
                }

                if (TryDelete(file.FullName))
                {
                    total -= file.Length;
                }
            }

            Interlocked.Exchange(ref _bytes, total);
        }
        finally
        {
            _trimLock.Exit();
        }
    }

    /// <summary>
    /// Temp files a crash left behind. Only before this instance writes: later, a temp file may be a write in progress.
    /// An unreadable folder is left to the first write to report (as a fault).
    /// </summary>
    private void DeleteTempFiles()
    {
        try
        {
            foreach (var folder in Folders(null))
            {
                foreach (var temp in folder.EnumerateFiles("*" + TempExtension))
                {
                    TryDelete(temp.FullName);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing to clean where nothing can be read.
        }
    }

    private IEnumerable<DirectoryInfo> Folders(CacheNamespace? ns)
    {
        foreach (var each in CacheNamespaces.All)
        {
            if (ns is not null && ns != each)
            {
                continue;
            }

            var folder = new DirectoryInfo(Path.Combine(Root, each.Name()));
            if (folder.Exists)
            {
                yield return folder;
            }
        }
    }

    private static bool IsExpiredOrUnreadable(string path, DateTimeOffset now, Span<byte> header)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            var read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            return read < header.Length || EntryCodec.ReadFileExpiry(header) is not { } expires || expires <= now;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    private static long FileLength(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? info.Length : 0;
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
