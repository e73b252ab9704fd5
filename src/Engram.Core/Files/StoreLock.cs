using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO;
using System.Threading;

namespace Engram.Core.Storage
{
    /// <summary>
    /// The store's writer lock: one writer at a time across threads and processes. Cross-process exclusion uses an
    /// exclusive open of <c>&lt;root&gt;/_lock</c> (FileShare.None: a share-mode lock on Windows, flock on Unix);
    /// threads in one process queue on a semaphore first so they do not spin against each other.
    /// </summary>
    internal sealed class StoreLock : IDisposable
    {
        private static readonly ConcurrentDictionary<string, SemaphoreSlim> InProcess =
            new ConcurrentDictionary<string, SemaphoreSlim>(StringComparer.Ordinal);

        private readonly SemaphoreSlim _gate;
        private FileStream? _file;

        private StoreLock(SemaphoreSlim gate, FileStream file)
        {
            _gate = gate;
            _file = file;
        }

        public static StoreLock Acquire(string root, TimeSpan timeout)
        {
            var lockPath = Path.Combine(root, "_lock");
            var gate = InProcess.GetOrAdd(Path.GetFullPath(root), _ => new SemaphoreSlim(1, 1));
            var sw = Stopwatch.StartNew();
            if (!gate.Wait(timeout)) throw Busy(root, timeout);
            try
            {
                // Opening a link would lock (or, dangling, create) a file outside the store.
                if (StorePaths.IsLink(lockPath))
                    throw StorePaths.Unsafe(lockPath, "it is a symbolic link or another reparse point; Engram does not follow links inside a store");
                int delay = 1;
                while (true)
                {
                    try
                    {
                        var fs = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
                        return new StoreLock(gate, fs);
                    }
                    catch (IOException) when (sw.Elapsed < timeout)
                    {
                        Thread.Sleep(delay);
                        delay = Math.Min(delay * 2, 25);
                    }
                    catch (IOException ex)
                    {
                        throw Busy(root, timeout, ex);
                    }
                }
            }
            catch
            {
                gate.Release();
                throw;
            }
        }

        private static EngramException Busy(string root, TimeSpan timeout, Exception? inner = null) =>
            new EngramException(EngramErrorIds.StoreLocked, EngramErrorKind.ResourceBusy,
                $"The Engram store at '{root}' is locked by another writer and did not become free within {timeout.TotalSeconds:0.#} s.", root, inner);

        public void Dispose()
        {
            var f = Interlocked.Exchange(ref _file, null);
            if (f == null) return;
            f.Dispose();
            _gate.Release();
        }
    }
}
