using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Engram.Core.Storage
{
    /// <summary>The file storage's embedding vectors: one binary file per namespace, <c>_vectors/&lt;namespace&gt;.vec</c>
    /// (<see cref="VectorFile"/>), rewritten atomically (temp file, then rename) under the store's write lock.</summary>
    public sealed partial class FileStorage : IVectorStore
    {
        /// <summary>A vector file that cannot be read (damaged by hand, or written by a newer build) reads as empty.</summary>
        public IReadOnlyList<StoredVector> ReadVectors(string ns)
        {
            var path = VectorPath(ns);
            byte[] bytes;
            try { bytes = File.ReadAllBytes(path); }
            catch (FileNotFoundException) { return Array.Empty<StoredVector>(); }
            catch (DirectoryNotFoundException) { return Array.Empty<StoredVector>(); }
            return VectorFile.TryParse(bytes) ?? (IReadOnlyList<StoredVector>)Array.Empty<StoredVector>();
        }

        /// <summary>Merges <paramref name="vectors"/> into the namespace's file, keeping only keys whose memory file exists
        /// (the file is deleted when none is left). Fault hook step: "vectors-staged".</summary>
        public void WriteVectors(string ns, IReadOnlyList<StoredVector> vectors)
        {
            var path = VectorPath(ns);
            using (LockForWrite())
            {
                var merged = new SortedDictionary<string, StoredVector>(StringComparer.Ordinal);
                foreach (var v in ReadVectors(ns)) merged[v.Key] = v;
                foreach (var v in vectors) merged[v.Key] = v;
                var keep = merged.Values.Where(v => File.Exists(MemoryPath(ns, v.Key))).ToList();
                string? tmp = null;
                try
                {
                    if (keep.Count == 0)
                    {
                        if (File.Exists(path)) File.Delete(path);
                        return;
                    }
                    tmp = Path.Combine(TempDir, Guid.NewGuid().ToString("N") + ".tmp");
                    using (var fs = FileOps.OpenCreatingDirectory(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                    {
                        VectorFile.Write(fs, keep);
                        if (Config.Durability == Durability.Full) fs.Flush(true);
                    }
                    FaultHook?.Invoke("vectors-staged");
                    FileOps.ReplaceByRenameCreatingDirectory(tmp, path);
                    tmp = null;
                }
                catch (SimulatedCrashException)
                {
                    tmp = null; // a killed process leaves its temp file (Test-EngramStore -Repair removes it)
                    throw;
                }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is InvalidOperationException)
                {
                    throw new EngramException(EngramErrorIds.WriteFailed, EngramErrorKind.WriteError,
                        $"Writing the embedding vectors of namespace '{ns}' failed; the previous ones were kept: {ex.Message}", path, ex);
                }
                finally
                {
                    if (tmp != null) FileOps.TryDelete(tmp);
                }
            }
        }
    }
}
