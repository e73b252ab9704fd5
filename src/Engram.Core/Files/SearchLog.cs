using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using Engram.Core.Search;

namespace Engram.Core.Storage
{
    /// <summary>One record of a search index log: a memory's new state (its hash and term counts), its removal, or a
    /// large memory's new hash alone (<see cref="Deferred"/>: counted from the memory file by readers and compactions).</summary>
    internal sealed class SearchLogRecord
    {
        public SearchLogRecord(string key, string? hash, TermCounts? counts)
        {
            Key = key;
            Hash = hash;
            Counts = counts;
        }

        public string Key { get; }
        /// <summary>Null for a removal.</summary>
        public string? Hash { get; }
        /// <summary>Null for a removal, and for a deferred record.</summary>
        public TermCounts? Counts { get; }
        public bool Removed => Hash == null;
        /// <summary>A memory written with a large value, whose terms were not counted by its write (that would cost more
        /// than the write): whoever reads the record counts them from the memory file when it has this hash.</summary>
        public bool Deferred => Hash != null && Counts == null;

        /// <summary>The record's line: <c>+ key hash keyLength valueLength term:keyTf:valueTf…</c> or <c>- key</c>, the key
        /// in its file-name form (<see cref="Names.EncodeKey"/>), so a line holds no space or line break but the separators.</summary>
        public string ToLine()
        {
            var sb = new StringBuilder();
            if (Hash == null) return sb.Append("- ").Append(Names.EncodeKey(Key)).Append('\n').ToString();
            if (Counts == null) return sb.Append("? ").Append(Names.EncodeKey(Key)).Append(' ').Append(Hash).Append('\n').ToString();
            sb.Append("+ ").Append(Names.EncodeKey(Key)).Append(' ').Append(Hash).Append(' ')
              .Append(Counts.KeyLength.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(Counts.ValueLength.ToString(CultureInfo.InvariantCulture));
            for (int i = 0; i < Counts.Terms.Length; i++)
                sb.Append(' ').Append(Counts.Terms[i]).Append(':').Append(Counts.KeyTf[i].ToString(CultureInfo.InvariantCulture))
                  .Append(':').Append(Counts.ValueTf[i].ToString(CultureInfo.InvariantCulture));
            return sb.Append('\n').ToString();
        }

        /// <summary>Parses a line (without its line break); null when it is not a record.</summary>
        public static SearchLogRecord? TryParse(string line)
        {
            var p = line.Split(' ');
            if (p.Length == 2 && p[0] == "-") return Names.DecodeKey(p[1]) is string removed ? new SearchLogRecord(removed, null, null) : null;
            if (p.Length == 3 && p[0] == "?" && p[2].Length > 0) return Names.DecodeKey(p[1]) is string deferred ? new SearchLogRecord(deferred, p[2], null) : null;
            if (p.Length < 5 || p[0] != "+" || p[2].Length == 0) return null;
            var key = Names.DecodeKey(p[1]);
            if (key == null || !Count(p[3], out var keyLength) || !Count(p[4], out var valueLength)) return null;
            int n = p.Length - 5;
            var terms = new string[n];
            var k = new int[n];
            var v = new int[n];
            for (int i = 0; i < n; i++)
            {
                var t = p[5 + i];
                int b = t.LastIndexOf(':'), a = b > 0 ? t.LastIndexOf(':', b - 1) : -1;
                if (a <= 0 || !Count(t.Substring(a + 1, b - a - 1), out k[i]) || !Count(t.Substring(b + 1), out v[i]) || k[i] + v[i] == 0) return null;
                terms[i] = t.Substring(0, a);
                if (i > 0 && Names.KeyOrder.Compare(terms[i - 1], terms[i]) >= 0) return null;
            }
            return new SearchLogRecord(key, p[2], new TermCounts(keyLength, valueLength, terms, k, v));
        }

        private static bool Count(string s, out int n) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out n);
    }

    /// <summary>
    /// The append-only log of a namespace's search index, <c>_index/&lt;namespace&gt;/log</c> (docs/store-format.md): a
    /// header line <c>engram-index 1 &lt;generation&gt;</c> naming the segment it continues (<c>seg-&lt;generation&gt;</c>;
    /// generation 0: none), then one <see cref="SearchLogRecord"/> line per memory written or removed since. Bytes after
    /// the last line break are an append in progress or torn by a crash: never read, cut by the next writer. A large
    /// memory's record may be <c>? key hash</c> (<see cref="SearchLogRecord.Deferred"/>).
    /// </summary>
    internal sealed class SearchLog
    {
        internal const string HeaderPrefix = "engram-index 1 ";
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false, true);

        private SearchLog(long generation, List<SearchLogRecord> records, long lastStart, long validLength, long fileLength)
        {
            Generation = generation;
            Records = records;
            LastStart = lastStart;
            ValidLength = validLength;
            FileLength = fileLength;
        }

        public long Generation { get; }
        public List<SearchLogRecord> Records { get; }
        /// <summary>Where the last record starts (-1: no record).</summary>
        public long LastStart { get; }
        /// <summary>The end of the last complete line.</summary>
        public long ValidLength { get; }
        public long FileLength { get; }

        public static string Header(long generation) => HeaderPrefix + generation.ToString(CultureInfo.InvariantCulture) + "\n";

        /// <summary>Opens a log so that writers may append to it or replace it meanwhile.</summary>
        internal static FileStream OpenShared(string path) =>
            new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);

        /// <summary>The whole log; null when it is missing; <see cref="InvalidDataException"/> when a complete line is not a record.</summary>
        public static SearchLog? TryRead(string path)
        {
            byte[] bytes;
            try
            {
                using (var fs = OpenShared(path))
                {
                    if (fs.Length > int.MaxValue) throw new InvalidDataException("The search index log is too large.");
                    bytes = FileOps.ReadRest(fs, new byte[fs.Length], 0);
                }
            }
            catch (FileNotFoundException) { return null; }
            catch (DirectoryNotFoundException) { return null; }
            return ParseKnown(Path.GetFullPath(path), bytes);
        }

        // The records of the logs read last, by path, with the bytes they were parsed from: a log only grows between
        // compactions, so a search parses only what was appended since the last one (a log of 12,000 records took most of
        // a search's time to parse). Reused only when the bytes read now begin with exactly those bytes.
        private sealed class Parsed
        {
            public Parsed(byte[] bytes, SearchLog log) { Bytes = bytes; Log = log; }
            public byte[] Bytes { get; }
            public SearchLog Log { get; }
        }

        private static readonly Dictionary<string, Parsed> Known = new Dictionary<string, Parsed>(StringComparer.Ordinal);
        private const int KnownLogs = 16;

        private static SearchLog ParseKnown(string path, byte[] bytes)
        {
            Parsed? known;
            lock (Known) Known.TryGetValue(path, out known);
            SearchLog log;
            if (known != null && bytes.Length >= known.Log.ValidLength
                && bytes.AsSpan(0, (int)known.Log.ValidLength).SequenceEqual(known.Bytes.AsSpan(0, (int)known.Log.ValidLength)))
                log = Parse(bytes, wantRecords: true, known.Log);
            else log = Parse(bytes, wantRecords: true);
            lock (Known)
            {
                if (Known.Count >= KnownLogs && !Known.ContainsKey(path)) Known.Clear();
                Known[path] = new Parsed(bytes, log);
            }
            return log;
        }

        /// <summary>The header and the last complete record of an open log (read from its end), for a writer.</summary>
        public static SearchLog ReadTail(FileStream fs)
        {
            long length = fs.Length;
            var head = new byte[(int)Math.Min(length, 64)];
            fs.Position = 0;
            ReadExactly(fs, head, head.Length);
            int nl = Array.IndexOf(head, (byte)'\n');
            if (nl < 0) throw new InvalidDataException("The search index log has no header.");
            long generation = ParseHeader(Decode(head, 0, nl));
            // The last line break, then the one before it.
            long end = LastIndexOf(fs, length, nl + 1, (byte)'\n');
            if (end < 0 || end <= nl) return new SearchLog(generation, new List<SearchLogRecord>(), -1, nl + 1, length);
            long start = LastIndexOf(fs, end, nl + 1, (byte)'\n') + 1;
            if (start <= nl) start = nl + 1;
            var line = new byte[end - start];
            fs.Position = start;
            ReadExactly(fs, line, line.Length);
            var record = SearchLogRecord.TryParse(Decode(line, 0, line.Length)) ?? throw new InvalidDataException("The search index log's last line is not a record.");
            return new SearchLog(generation, new List<SearchLogRecord> { record }, start, end + 1, length);
        }

        /// <summary>The position of the last <paramref name="b"/> before <paramref name="before"/> and at or after <paramref name="from"/>; -1 if none.</summary>
        private static long LastIndexOf(FileStream fs, long before, long from, byte b)
        {
            var buf = new byte[4096];
            long pos = before;
            while (pos > from)
            {
                int n = (int)Math.Min(buf.Length, pos - from);
                fs.Position = pos - n;
                ReadExactly(fs, buf, n);
                int i = Array.LastIndexOf(buf, b, n - 1, n);
                if (i >= 0) return pos - n + i;
                pos -= n;
            }
            return -1;
        }

        private static void ReadExactly(FileStream fs, byte[] buf, int n)
        {
            int filled = 0;
            while (filled < n)
            {
                int r = fs.Read(buf, filled, n - filled);
                if (r <= 0) throw new InvalidDataException("The search index log changed while it was read.");
                filled += r;
            }
        }

        /// <param name="from">A parse of the first <see cref="ValidLength"/> bytes of these same bytes: parsing goes on from there.</param>
        private static SearchLog Parse(byte[] bytes, bool wantRecords, SearchLog? from = null)
        {
            int nl = Array.IndexOf(bytes, (byte)'\n');
            if (nl < 0) throw new InvalidDataException("The search index log has no header.");
            long generation = ParseHeader(Decode(bytes, 0, nl));
            var records = from == null ? new List<SearchLogRecord>() : new List<SearchLogRecord>(from.Records);
            int at = from == null ? nl + 1 : (int)from.ValidLength, last = from == null ? -1 : (int)from.LastStart;
            while (at < bytes.Length)
            {
                int end = Array.IndexOf(bytes, (byte)'\n', at);
                if (end < 0) break; // an append in progress, or torn
                if (wantRecords)
                    records.Add(SearchLogRecord.TryParse(Decode(bytes, at, end - at)) ?? throw new InvalidDataException("A line of the search index log is not a record."));
                last = at;
                at = end + 1;
            }
            return new SearchLog(generation, records, last, at, bytes.Length);
        }

        private static long ParseHeader(string line)
        {
            if (!line.StartsWith(HeaderPrefix, StringComparison.Ordinal)
                || !long.TryParse(line.Substring(HeaderPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var g))
                throw new InvalidDataException("The search index log's header is not one this build writes.");
            return g;
        }

        private static string Decode(byte[] b, int at, int n)
        {
            try { return Utf8.GetString(b, at, n); }
            catch (DecoderFallbackException ex) { throw new InvalidDataException("The search index log is not UTF-8.", ex); }
        }
    }
}
