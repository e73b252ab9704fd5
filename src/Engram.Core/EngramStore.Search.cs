using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Engram.Core.Search;
using Engram.Core.Storage;

namespace Engram.Core
{
    public sealed partial class EngramStore
    {
        // ------------------------------------------------------------------ full-text search

        /// <summary>
        /// Ranked full-text search over the keys and values of main-line memories (see <see cref="SearchQuery"/> for
        /// the query language and <see cref="TextRanker"/> for the score). The file store has no index: it reads
        /// every memory of the namespaces searched, one at a time, keeping only a small entry per match, then reads
        /// the best <paramref name="top"/> again. Memory files that cannot be read are skipped and reported to
        /// <paramref name="unreadable"/> (as Get-EngramMemory reports them). Never locks, never opens provenance.
        /// </summary>
        /// <param name="namespaces">Namespaces to search (normalized; ones that do not exist give nothing); null for all.</param>
        public override IReadOnlyList<SearchHit> Search(string query, IReadOnlyCollection<string>? namespaces = null, int top = 10, Action<EngramException>? unreadable = null)
        {
            var q = SearchQuery.Parse(query);
            CheckTop(top);
            var searched = SearchNamespaces(this, namespaces);
            EnsureExists();
            var ranker = new TextRanker(q);
            foreach (var ns in searched)
                foreach (var location in List(ns))
                {
                    var m = TryReadForSearch(location, unreadable);
                    if (m != null) ranker.Add(m);
                }

            var hits = new List<SearchHit>();
            foreach (var (ns, key, score) in ranker.Top(top))
            {
                MemoryRecord? m;
                try { m = TryGet(ns, key); }
                catch (EngramException) { m = null; }
                if (m != null) hits.Add(new SearchHit(m, score, SearchMatch.Text)); // (gone since the scan: left out)
            }
            return hits;
        }

        private MemoryRecord? TryReadForSearch(MemoryLocation location, Action<EngramException>? unreadable)
        {
            try { return Read(location); }
            catch (EngramException ex)
            {
                if (ex.ErrorId != EngramErrorIds.MemoryNotFound) unreadable?.Invoke(ex); // malformed (not: removed since it was listed)
                return null;
            }
            catch (IOException) { return null; }
            catch (UnauthorizedAccessException) { return null; }
        }

        /// <summary>Refuses a result count below 1 (InvalidArgument).</summary>
        internal static void CheckTop(int top)
        {
            if (top < 1)
                throw new EngramException(EngramErrorIds.InvalidSearchQuery, EngramErrorKind.InvalidArgument,
                    $"The number of results must be at least 1 (got {top}).", top);
        }

        /// <summary>The namespaces a search covers: every one in the store for null, else the given ones normalized
        /// (invalid names are refused), without duplicates, sorted. Shared by the backends.</summary>
        internal static IReadOnlyList<string> SearchNamespaces(IEngramBackend store, IReadOnlyCollection<string>? namespaces)
        {
            if (namespaces == null) return store.ListNamespaces();
            return namespaces.Select(Names.NormalizeNamespace).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList();
        }

        // ------------------------------------------------------------------ embedding vectors

        internal const string VectorsFolder = "_vectors";

        /// <summary>Where a namespace's vectors live: <c>&lt;root&gt;/_vectors/&lt;namespace&gt;.vec</c>.</summary>
        public string VectorPath(string ns) => _paths.Proven(Path.Combine(Root, VectorsFolder, Names.NormalizeNamespace(ns) + ".vec"));

        /// <summary>
        /// The stored embedding vectors of a namespace, sorted by key. They are derived data (recomputed when
        /// missing), so a vector file that cannot be read (damaged by hand, or written by a newer build) reads as
        /// empty. Never locks.
        /// </summary>
        public override IReadOnlyList<StoredVector> GetVectors(string ns)
        {
            var path = VectorPath(ns);
            byte[] bytes;
            try { bytes = File.ReadAllBytes(path); }
            catch (FileNotFoundException) { return Array.Empty<StoredVector>(); }
            catch (DirectoryNotFoundException) { return Array.Empty<StoredVector>(); }
            return VectorFile.TryParse(bytes) ?? (IReadOnlyList<StoredVector>)Array.Empty<StoredVector>();
        }

        /// <summary>
        /// Stores embedding vectors for keys of a namespace: each replaces the vector stored for its key, others are
        /// kept; vectors of memories that no longer exist are dropped. The namespace's vector file is rewritten
        /// atomically (temp file, then rename) under the store's write lock. Memory files and provenance are never
        /// touched. The store must exist.
        /// </summary>
        public override void PutVectors(string ns, IReadOnlyList<StoredVector> vectors)
        {
            if (vectors == null) throw new ArgumentNullException(nameof(vectors));
            ns = Names.NormalizeNamespace(ns);
            foreach (var v in vectors)
            {
                if (v == null) throw new ArgumentException("A vector list cannot hold null.", nameof(vectors));
                Names.ValidateKey(v.Key);
                if (v.Vector == null || v.ContentHash == null || v.Model == null)
                    throw new ArgumentException($"The vector for '{v.Key}' is incomplete.", nameof(vectors));
            }
            EnsureExists();
            var path = VectorPath(ns);
            using (LockForWrite())
            {
                var merged = new SortedDictionary<string, StoredVector>(StringComparer.Ordinal);
                foreach (var v in GetVectors(ns)) merged[v.Key] = v;
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

    /// <summary>
    /// The binary vector file, <c>_vectors/&lt;namespace&gt;.vec</c> (docs/store-format.md). All integers are
    /// little-endian; strings are a 32-bit byte count and UTF-8.
    /// <code>
    /// "EVEC"            4 bytes, magic
    /// version           int32 = 1
    /// count             int32
    /// count × record:   key (string), contentHash (string), model (string), dimensions (int32), dimensions × float32
    /// </code>
    /// Records are sorted by key (ordinal).
    /// </summary>
    internal static class VectorFile
    {
        private static readonly byte[] Magic = { (byte)'E', (byte)'V', (byte)'E', (byte)'C' };
        internal const int Version = 1;
        private const int MaxDimensions = 1 << 16;
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false, true);

        public static void Write(Stream stream, IReadOnlyList<StoredVector> vectors)
        {
            using (var w = new BinaryWriter(new BufferedStream(stream, 1 << 16), Utf8, leaveOpen: true))
            {
                w.Write(Magic);
                w.Write(Version);
                w.Write(vectors.Count);
                foreach (var v in vectors)
                {
                    WriteString(w, v.Key);
                    WriteString(w, v.ContentHash);
                    WriteString(w, v.Model);
                    w.Write(v.Vector.Length);
                    foreach (var f in v.Vector) w.Write(f);
                }
                w.Flush();
            }
        }

        private static void WriteString(BinaryWriter w, string s)
        {
            var b = Utf8.GetBytes(s);
            w.Write(b.Length);
            w.Write(b);
        }

        /// <summary>The vectors, or null when the bytes are not a vector file this build reads.</summary>
        public static List<StoredVector>? TryParse(byte[] bytes)
        {
            try
            {
                using (var r = new BinaryReader(new MemoryStream(bytes, false), Utf8))
                {
                    if (bytes.Length < 12 || bytes[0] != Magic[0] || bytes[1] != Magic[1] || bytes[2] != Magic[2] || bytes[3] != Magic[3]) return null;
                    r.ReadBytes(4);
                    if (r.ReadInt32() != Version) return null;
                    int count = r.ReadInt32();
                    if (count < 0) return null;
                    var list = new List<StoredVector>(Math.Min(count, 4096));
                    for (int i = 0; i < count; i++)
                    {
                        var key = ReadString(r, bytes.Length);
                        var hash = ReadString(r, bytes.Length);
                        var model = ReadString(r, bytes.Length);
                        int dims = r.ReadInt32();
                        if (dims < 0 || dims > MaxDimensions || (long)dims * 4 > bytes.Length - r.BaseStream.Position) return null;
                        var vector = new float[dims];
                        for (int d = 0; d < dims; d++) vector[d] = r.ReadSingle();
                        list.Add(new StoredVector(key, hash, model, vector));
                    }
                    return r.BaseStream.Position == bytes.Length ? list : null;
                }
            }
            catch (Exception ex) when (ex is EndOfStreamException || ex is IOException || ex is ArgumentException || ex is DecoderFallbackException)
            {
                return null;
            }
        }

        private static string ReadString(BinaryReader r, long total)
        {
            int n = r.ReadInt32();
            if (n < 0 || n > total - r.BaseStream.Position) throw new EndOfStreamException();
            return Utf8.GetString(r.ReadBytes(n));
        }
    }
}
