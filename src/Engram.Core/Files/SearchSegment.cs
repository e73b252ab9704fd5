using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Engram.Core.Search;

namespace Engram.Core.Storage
{
    /// <summary>One memory as the search index keeps it: its key, content hash and term counts.</summary>
    internal sealed class IndexedMemory
    {
        public IndexedMemory(string key, string hash, TermCounts counts)
        {
            Key = key;
            Hash = hash;
            Counts = counts;
        }

        public string Key { get; }
        public string Hash { get; }
        public TermCounts Counts { get; }
    }

    /// <summary>
    /// An immutable segment of the file store's search index, <c>_index/&lt;namespace&gt;/seg-&lt;generation&gt;</c>
    /// (docs/store-format.md): the memories of one namespace (sorted by key) and, for every term, the memories holding it
    /// with their counts (sorted by term). Integers are little-endian; <c>varint</c> is 7 bits a byte, low first.
    /// <code>
    /// "EIDX"                 magic
    /// int32  version = 1
    /// int32  docCount, int32 termCount
    /// int64  keyLengthSum, int64 valueLengthSum   (terms, over every memory)
    /// int64  termTable                            (offset of the term offsets)
    /// int64  checksum                             (of every byte after the header, see Checksum)
    /// int64 × docCount       offset of each memory's record
    /// record × docCount      varint n, n bytes key (UTF-8); hash (byte 1 + 32 bytes: sha256:&lt;hex&gt;; byte 0 + varint n + n bytes: other);
    ///                        varint keyLength, varint valueLength
    /// int64 × termCount      offset of each term's record (at termTable)
    /// record × termCount     varint n, n bytes term (UTF-8); varint count; count × (varint doc − previous doc, varint keyTf, varint valueTf)
    /// </code>
    /// Keys and terms are sorted by their UTF-8 bytes, so a prefix's terms are consecutive. Read whole into memory and
    /// checked (magic, version, bounds, checksum) before use: a damaged segment reads as none (<see cref="TryOpen"/>).
    /// </summary>
    internal sealed class SearchSegment
    {
        private static readonly byte[] Magic = { (byte)'E', (byte)'I', (byte)'D', (byte)'X' };
        internal const int Version = 1;
        private const int HeaderSize = 48;
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false, true);

        private readonly byte[] _b;
        private readonly long _docTable, _termTable;

        private SearchSegment(byte[] bytes, int docs, int terms, long keySum, long valueSum, long termTable)
        {
            _b = bytes;
            DocCount = docs;
            TermCount = terms;
            KeyLengthSum = keySum;
            ValueLengthSum = valueSum;
            _docTable = HeaderSize;
            _termTable = termTable;
        }

        public int DocCount { get; }
        public int TermCount { get; }
        public long KeyLengthSum { get; }
        public long ValueLengthSum { get; }
        public int ByteCount => _b.Length;

        // ------------------------------------------------------------------ writing

        /// <summary>The bytes of a segment holding <paramref name="memories"/> (distinct keys, any order).</summary>
        public static byte[] Build(IReadOnlyList<IndexedMemory> memories)
        {
            var docs = new IndexedMemory[memories.Count];
            for (int i = 0; i < docs.Length; i++) docs[i] = memories[i];
            Array.Sort(docs, (a, b) => Names.KeyOrder.Compare(a.Key, b.Key));
            var postings = new Dictionary<string, List<int>>(StringComparer.Ordinal); // term -> docs (ascending), counts read from the doc
            long keySum = 0, valueSum = 0;
            for (int d = 0; d < docs.Length; d++)
            {
                var c = docs[d].Counts;
                keySum += c.KeyLength;
                valueSum += c.ValueLength;
                if (d > 0 && docs[d - 1].Key == docs[d].Key) throw new ArgumentException($"The key '{docs[d].Key}' is in the segment twice.", nameof(memories));
                foreach (var t in c.Terms)
                {
                    if (!postings.TryGetValue(t, out var list)) postings[t] = list = new List<int>();
                    list.Add(d);
                }
            }
            var terms = new string[postings.Count];
            postings.Keys.CopyTo(terms, 0);
            Array.Sort(terms, Names.KeyOrder);

            using (var ms = new MemoryStream())
            {
                var w = new BinaryWriter(ms);
                w.Write(Magic);
                w.Write(Version);
                w.Write(docs.Length);
                w.Write(terms.Length);
                w.Write(keySum);
                w.Write(valueSum);
                w.Write(0L); // term table, patched below
                w.Write(0L); // checksum, patched below
                long docOffsets = ms.Position;
                ms.Position += 8L * docs.Length;
                var offsets = new long[Math.Max(docs.Length, terms.Length)];
                for (int d = 0; d < docs.Length; d++)
                {
                    offsets[d] = ms.Position;
                    WriteBytes(ms, Utf8.GetBytes(docs[d].Key));
                    WriteHash(ms, docs[d].Hash);
                    WriteVarint(ms, docs[d].Counts.KeyLength);
                    WriteVarint(ms, docs[d].Counts.ValueLength);
                }
                PatchOffsets(ms, docOffsets, offsets, docs.Length);
                long termTable = ms.Position;
                ms.Position += 8L * terms.Length;
                for (int t = 0; t < terms.Length; t++)
                {
                    offsets[t] = ms.Position;
                    var term = terms[t];
                    WriteBytes(ms, Utf8.GetBytes(term));
                    var list = postings[term];
                    WriteVarint(ms, list.Count);
                    int previous = 0;
                    foreach (var d in list)
                    {
                        var c = docs[d].Counts;
                        int i = Array.BinarySearch(c.Terms, term, Names.KeyOrder);
                        WriteVarint(ms, d - previous);
                        WriteVarint(ms, c.KeyTf[i]);
                        WriteVarint(ms, c.ValueTf[i]);
                        previous = d;
                    }
                }
                PatchOffsets(ms, termTable, offsets, terms.Length);
                var bytes = ms.ToArray();
                Buffer.BlockCopy(BitConverter.GetBytes(termTable), 0, bytes, 32, 8);
                Buffer.BlockCopy(BitConverter.GetBytes(Checksum(bytes, HeaderSize)), 0, bytes, 40, 8);
                return bytes;
            }
        }

        private static void PatchOffsets(MemoryStream ms, long at, long[] offsets, int count)
        {
            long end = ms.Position;
            ms.Position = at;
            for (int i = 0; i < count; i++) ms.Write(BitConverter.GetBytes(offsets[i]), 0, 8);
            ms.Position = end;
        }

        private static void WriteBytes(Stream s, byte[] bytes)
        {
            WriteVarint(s, bytes.Length);
            s.Write(bytes, 0, bytes.Length);
        }

        private static void WriteHash(Stream s, string hash)
        {
            var raw = Sha256Bytes(hash);
            if (raw != null)
            {
                s.WriteByte(1);
                s.Write(raw, 0, raw.Length);
                return;
            }
            s.WriteByte(0);
            WriteBytes(s, Utf8.GetBytes(hash));
        }

        private const string Sha256Prefix = "sha256:";

        private static byte[]? Sha256Bytes(string hash)
        {
            if (hash.Length != Sha256Prefix.Length + 64 || !hash.StartsWith(Sha256Prefix, StringComparison.Ordinal)) return null;
            var raw = new byte[32];
            for (int i = 0; i < 32; i++)
            {
                int hi = Hex(hash[Sha256Prefix.Length + 2 * i]), lo = Hex(hash[Sha256Prefix.Length + 2 * i + 1]);
                if (hi < 0 || lo < 0) return null;
                raw[i] = (byte)(hi * 16 + lo);
            }
            return raw;
        }

        private static int Hex(char c) => c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

        private static void WriteVarint(Stream s, int value)
        {
            uint v = (uint)value;
            while (v >= 0x80)
            {
                s.WriteByte((byte)(v | 0x80));
                v >>= 7;
            }
            s.WriteByte((byte)v);
        }

        /// <summary>A 64-bit FNV-1a over 8-byte words (the tail byte by byte): catches damage, not tampering.</summary>
        internal static long Checksum(byte[] b, int from)
        {
            ulong h = 14695981039346656037UL;
            int i = from;
            for (; i + 8 <= b.Length; i += 8) h = (h ^ BitConverter.ToUInt64(b, i)) * 1099511628211UL;
            for (; i < b.Length; i++) h = (h ^ b[i]) * 1099511628211UL;
            return unchecked((long)h);
        }

        // ------------------------------------------------------------------ reading

        /// <summary>The segment in <paramref name="bytes"/>; null when they are not a whole, undamaged segment of this version.</summary>
        public static SearchSegment? TryOpen(byte[] bytes)
        {
            if (bytes.Length < HeaderSize) return null;
            for (int i = 0; i < 4; i++) if (bytes[i] != Magic[i]) return null;
            if (BitConverter.ToInt32(bytes, 4) != Version) return null;
            int docs = BitConverter.ToInt32(bytes, 8), terms = BitConverter.ToInt32(bytes, 12);
            long keySum = BitConverter.ToInt64(bytes, 16), valueSum = BitConverter.ToInt64(bytes, 24), termTable = BitConverter.ToInt64(bytes, 32);
            if (docs < 0 || terms < 0 || keySum < 0 || valueSum < 0) return null;
            if (HeaderSize + 8L * docs > bytes.Length || termTable < HeaderSize + 8L * docs || termTable + 8L * terms > bytes.Length) return null;
            if (Checksum(bytes, HeaderSize) != BitConverter.ToInt64(bytes, 40)) return null;
            return new SearchSegment(bytes, docs, terms, keySum, valueSum, termTable);
        }

        // Segments read and checked, kept for later searches in this process: a segment file is never changed once
        // written (a new one has a new generation), and an entry is used only while the file has the same length, time
        // and header (checksum included), so a file replaced or damaged since is read again.
        private static readonly object CacheGate = new object();
        private static readonly Dictionary<string, (long Length, DateTime Written, byte[] Header, SearchSegment Segment)> Cache =
            new Dictionary<string, (long, DateTime, byte[], SearchSegment)>(StringComparer.Ordinal);
        private static long _cachedBytes;
        /// <summary>At most this many bytes of segments are kept (all are dropped when a new one would pass it).</summary>
        internal const long CacheLimit = 256L * 1024 * 1024;

        /// <summary>Drops every cached segment (tests of a damaged file, which may keep its length and time).</summary>
        internal static void ForgetCached()
        {
            lock (CacheGate)
            {
                Cache.Clear();
                _cachedBytes = 0;
            }
        }

        /// <summary>Reads a segment file (null when missing or damaged). Opened so that a writer may delete it meanwhile.</summary>
        /// <param name="cached">False: read and check the file itself (the verifier), never a copy kept from before.</param>
        public static SearchSegment? TryRead(string path, bool cached = true)
        {
            try
            {
                using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan))
                {
                    long length = fs.Length;
                    if (length > int.MaxValue || length < HeaderSize) return null;
                    var written = File.GetLastWriteTimeUtc(path);
                    var header = FileOps.ReadRest(fs, new byte[HeaderSize], 0);
                    if (cached)
                        lock (CacheGate)
                            if (Cache.TryGetValue(path, out var c) && c.Length == length && c.Written == written && Same(c.Header, header)) return c.Segment;
                    var bytes = new byte[length];
                    Buffer.BlockCopy(header, 0, bytes, 0, header.Length);
                    bytes = FileOps.ReadRest(fs, bytes, header.Length);
                    var segment = TryOpen(bytes);
                    if (segment != null && length <= CacheLimit)
                        lock (CacheGate)
                        {
                            if (Cache.TryGetValue(path, out var old)) _cachedBytes -= old.Length;
                            if (_cachedBytes + length > CacheLimit) { Cache.Clear(); _cachedBytes = 0; }
                            Cache[path] = (length, written, header, segment);
                            _cachedBytes += length;
                        }
                    return segment;
                }
            }
            catch (FileNotFoundException) { return null; }
            catch (DirectoryNotFoundException) { return null; }
        }

        private static bool Same(byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b);

        private long Offset(long table, int i)
        {
            long o = BitConverter.ToInt64(_b, (int)(table + 8L * i));
            if (o < HeaderSize || o >= _b.Length) throw Damaged();
            return o;
        }

        private int Varint(ref long at)
        {
            uint v = 0;
            for (int shift = 0; shift < 35; shift += 7)
            {
                if (at >= _b.Length) throw Damaged();
                byte x = _b[at++];
                v |= (uint)(x & 0x7f) << shift;
                if ((x & 0x80) == 0)
                {
                    if (v > int.MaxValue) throw Damaged();
                    return (int)v;
                }
            }
            throw Damaged();
        }

        private (long At, int Length) Bytes(ref long at)
        {
            int n = Varint(ref at);
            if (at + n > _b.Length) throw Damaged();
            var r = (at, n);
            at += n;
            return r;
        }

        /// <summary>Thrown on inconsistent bytes behind a good checksum (a bug, or a forged file): the index is not used.</summary>
        internal static InvalidDataException Damaged() => new InvalidDataException("The search index segment is damaged.");

        private int CompareAt(long at, int length, byte[] other, bool prefixOnly)
        {
            int n = Math.Min(length, other.Length);
            for (int i = 0; i < n; i++)
            {
                int c = _b[at + i].CompareTo(other[i]);
                if (c != 0) return c;
            }
            if (prefixOnly && length >= other.Length) return 0;
            return length.CompareTo(other.Length);
        }

        /// <summary>The memory of <paramref name="key"/>, or -1.</summary>
        public int FindDoc(byte[] key)
        {
            int lo = 0, hi = DocCount - 1;
            while (lo <= hi)
            {
                int mid = lo + (hi - lo) / 2;
                long at = Offset(_docTable, mid);
                var (k, n) = Bytes(ref at);
                int c = CompareAt(k, n, key, false);
                if (c == 0) return mid;
                if (c < 0) lo = mid + 1;
                else hi = mid - 1;
            }
            return -1;
        }

        /// <summary>A memory's key, content hash and field lengths.</summary>
        public void ReadDoc(int doc, out string key, out string hash, out int keyLength, out int valueLength)
        {
            if (doc < 0 || doc >= DocCount) throw Damaged();
            long at = Offset(_docTable, doc);
            var (k, n) = Bytes(ref at);
            key = Decode(k, n);
            if (at >= _b.Length) throw Damaged();
            if (_b[at++] == 1)
            {
                if (at + 32 > _b.Length) throw Damaged();
                var sb = new StringBuilder(Sha256Prefix, Sha256Prefix.Length + 64);
                for (int i = 0; i < 32; i++) sb.Append(_b[at + i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                hash = sb.ToString();
                at += 32;
            }
            else
            {
                var (h, hn) = Bytes(ref at);
                hash = Decode(h, hn);
            }
            keyLength = Varint(ref at);
            valueLength = Varint(ref at);
        }

        /// <summary>A memory's field lengths alone.</summary>
        public void ReadLengths(int doc, out int keyLength, out int valueLength)
        {
            if (doc < 0 || doc >= DocCount) throw Damaged();
            long at = Offset(_docTable, doc);
            var (_, n) = Bytes(ref at);
            if (at >= _b.Length) throw Damaged();
            if (_b[at++] == 1) at += 32;
            else Bytes(ref at);
            keyLength = Varint(ref at);
            valueLength = Varint(ref at);
        }

        public string ReadKey(int doc)
        {
            if (doc < 0 || doc >= DocCount) throw Damaged();
            long at = Offset(_docTable, doc);
            var (k, n) = Bytes(ref at);
            return Decode(k, n);
        }

        private string Decode(long at, int n)
        {
            try { return Utf8.GetString(_b, (int)at, n); }
            catch (DecoderFallbackException) { throw Damaged(); }
        }

        /// <summary>The terms <paramref name="term"/> matches: one (or none) for a whole term, every term it starts for a prefix.</summary>
        public IEnumerable<int> Matching(SearchTerm term)
        {
            var bytes = Utf8.GetBytes(term.Text);
            // The first term not below it (lower bound), then on while it matches.
            int lo = 0, hi = TermCount;
            while (lo < hi)
            {
                int mid = lo + (hi - lo) / 2;
                long at = Offset(_termTable, mid);
                var (t, n) = Bytes(ref at);
                if (CompareAt(t, n, bytes, false) < 0) lo = mid + 1;
                else hi = mid;
            }
            for (int i = lo; i < TermCount; i++)
            {
                long at = Offset(_termTable, i);
                var (t, n) = Bytes(ref at);
                if (CompareAt(t, n, bytes, prefixOnly: term.IsPrefix) != 0) yield break;
                yield return i;
                if (!term.IsPrefix) yield break;
            }
        }

        /// <summary>How many memories hold term <paramref name="index"/>.</summary>
        public int PostingCount(int index)
        {
            long at = Offset(_termTable, index);
            Bytes(ref at);
            return Varint(ref at);
        }

        /// <summary>The memories holding term <paramref name="index"/>, ascending, with their counts.</summary>
        public void ReadPostings(int index, List<(int Doc, int KeyTf, int ValueTf)> into)
        {
            long at = Offset(_termTable, index);
            Bytes(ref at);
            int count = Varint(ref at), doc = 0;
            if (count > DocCount) throw Damaged();
            for (int i = 0; i < count; i++)
            {
                int delta = Varint(ref at);
                doc += delta;
                if (doc >= DocCount || (i > 0 && delta == 0)) throw Damaged();
                int k = Varint(ref at), v = Varint(ref at);
                into.Add((doc, k, v));
            }
        }

        public string ReadTerm(int index)
        {
            long at = Offset(_termTable, index);
            var (t, n) = Bytes(ref at);
            return Decode(t, n);
        }

        /// <summary>Every memory with its term counts (for a compaction, a check or a rebuild): the postings turned round.</summary>
        public List<IndexedMemory> ReadAll()
        {
            var terms = new List<string>[DocCount];
            var keyTf = new List<int>[DocCount];
            var valueTf = new List<int>[DocCount];
            for (int d = 0; d < DocCount; d++) { terms[d] = new List<string>(); keyTf[d] = new List<int>(); valueTf[d] = new List<int>(); }
            var postings = new List<(int Doc, int KeyTf, int ValueTf)>();
            for (int t = 0; t < TermCount; t++) // terms ascending: each memory's list comes out sorted
            {
                var term = ReadTerm(t);
                postings.Clear();
                ReadPostings(t, postings);
                foreach (var p in postings)
                {
                    terms[p.Doc].Add(term);
                    keyTf[p.Doc].Add(p.KeyTf);
                    valueTf[p.Doc].Add(p.ValueTf);
                }
            }
            var result = new List<IndexedMemory>(DocCount);
            for (int d = 0; d < DocCount; d++)
            {
                ReadDoc(d, out var key, out var hash, out var kl, out var vl);
                result.Add(new IndexedMemory(key, hash, new TermCounts(kl, vl, terms[d].ToArray(), keyTf[d].ToArray(), valueTf[d].ToArray())));
            }
            return result;
        }
    }
}
