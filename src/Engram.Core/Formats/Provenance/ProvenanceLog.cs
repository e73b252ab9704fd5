using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using Engram.Core.Storage;
using Engram.Core.Values;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Engram.Core.Provenance
{
    /// <summary>What the last complete entry of a log says, read from its trailer line without parsing the entry.</summary>
    internal sealed class LogTail
    {
        public int Schema;
        public long Seq;
        public int Version;
        public string Action = "";
        /// <summary>Byte offset where the last entry starts.</summary>
        public long Start;
        public string Hash = "";
        public string Branch = Names.DefaultBranch;
        /// <summary>Length of the file up to and including the last complete entry.</summary>
        public long ValidLength;
        /// <summary>Actual file length; larger than <see cref="ValidLength"/> when a write was torn by a crash.</summary>
        public long FileLength;
    }

    /// <summary>
    /// A memory's provenance log, <c>_provenance/&lt;namespace&gt;/&lt;encoded key&gt;.prov</c>: a YAML stream with one
    /// document per entry. Every entry ends with a trailer comment
    /// <c>#~ &lt;schema&gt; &lt;seq&gt; &lt;version&gt; &lt;action&gt; &lt;start offset&gt; &lt;hash&gt; [&lt;branch&gt;]</c> (branch
    /// omitted for main), so the last entry
    /// (and, walking back, the last N) can be found in O(1) without reading the file, and a torn append (no trailer
    /// at the end) is recognisable.
    /// </summary>
    internal sealed partial class ProvenanceLog
    {
        private const string TrailerPrefix = "#~ ";

        public ProvenanceLog(string path) { Path = path; }

        public string Path { get; }

        public bool Exists => File.Exists(Path);

        /// <summary>
        /// Reads the trailer of the last complete entry, cross-checked against the entry it closes (see
        /// <see cref="CheckTrailer"/>); null when the file is missing or empty. Bytes after the last complete entry are
        /// reported as torn (<see cref="LogTail.ValidLength"/> &lt; <see cref="LogTail.FileLength"/>) only when they are
        /// proven to be an incomplete append (<see cref="CheckTornTail"/>): anything else is damage, thrown as a
        /// <see cref="HistoryDamage"/> (<c>MalformedProvenance</c>), so no caller ever cuts it.
        /// </summary>
        public LogTail? ReadTail()
        {
            if (!File.Exists(Path)) return null;
            using (var fs = OpenRead())
            {
                long len = fs.Length;
                if (len == 0) return null;
                var tail = LastTrailer(fs, len, scan: false) ?? LastTrailer(fs, len, scan: true);
                if (tail == null)
                {
                    if (!StartsWithDocument(fs)) throw Malformed("it holds no complete entry and does not start like one");
                    CheckTornTail(fs, 0, len);
                    return new LogTail { ValidLength = 0, FileLength = len, Seq = 0, Start = -1 };
                }
                tail.FileLength = len;
                CheckTrailer(fs, tail);
                if (tail.ValidLength < len) CheckTornTail(fs, tail.ValidLength, len);
                return tail;
            }
        }

        /// <summary>
        /// The trailer is covered by no hash: before anyone trusts it, it must agree with the entry it closes — the
        /// entry starts at the trailer's offset (right after the previous entry's trailer), parses, its hash verifies,
        /// and its schema, seq, version, action, hash and branch are the trailer's. Throws a
        /// <see cref="HistoryDamage"/> (<c>TrailerMismatch</c>, or <c>BrokenChain</c> for an entry whose hash
        /// does not verify) otherwise.
        /// </summary>
        private void CheckTrailer(FileStream fs, LogTail tail)
        {
            string? why = null;
            if (tail.Start > 0 && ReadTrailerEndingAt(fs, tail.Start) == null)
                why = $"its start offset {tail.Start} does not follow the previous entry's trailer";
            ProvenanceEntry? e = null;
            if (why == null)
            {
                try { e = ReadEntryHead(fs, tail.Start, tail.ValidLength); }
                catch (EngramException ex) when (ex.ErrorId == EngramErrorIds.MalformedProvenance) { why = $"no readable entry starts at its offset {tail.Start}"; }
            }
            if (e != null)
            {
                why = TrailerDisagreement(tail, e);
                if (why == null && !e.VerifyHash())
                    throw HistoryDamage.Create("BrokenChain",
                        $"The provenance file '{Path}' is damaged: the hash of its last entry {e.Seq} does not match its contents (edited?). Nothing was changed; check it with Test-EngramStore.", Path);
            }
            if (why != null)
                throw HistoryDamage.Create("TrailerMismatch",
                    $"The provenance file '{Path}' is damaged: the trailer of its last entry (seq {tail.Seq}, version {tail.Version}) does not match the entry it closes: {why}. Nothing was changed; check it with Test-EngramStore.", Path);
        }

        /// <summary>Why a trailer does not describe <paramref name="e"/> (null when it does). Shared by writers and the verifier.</summary>
        internal static string? TrailerDisagreement(LogTail t, ProvenanceEntry e) =>
            t.Seq != e.Seq ? $"it says seq {t.Seq}, the entry is {e.Seq}"
            : t.Version != e.Version ? $"it says version {t.Version}, the entry has {e.Version}"
            : t.Schema != e.Schema ? $"it says schema {t.Schema}, the entry has {e.Schema}"
            : !string.Equals(t.Action, e.Action, StringComparison.Ordinal) ? $"it says '{t.Action}', the entry is '{e.Action}'"
            : !string.Equals(t.Hash, e.Hash, StringComparison.Ordinal) ? "its hash is not the entry's"
            : !string.Equals(t.Branch, e.Branch, StringComparison.Ordinal) ? $"it says branch '{t.Branch}', the entry is on '{e.Branch}'"
            : null;

        /// <summary>
        /// Proves that the bytes [<paramref name="from"/>, <paramref name="end"/>) after the last complete entry are an
        /// append that never finished, the only bytes a recovery may cut: they hold no complete trailer line (the
        /// callers' scans guarantee that; an append writes its trailer last, so an entry is complete only with it) and
        /// begin like an entry (a prefix of <c>---</c>). Throws a <see cref="HistoryDamage"/>
        /// (<c>MalformedProvenance</c>) otherwise.
        /// </summary>
        private void CheckTornTail(FileStream fs, long from, long end)
        {
            long n = end - from;
            var head = new byte[(int)Math.Min(n, 3)];
            fs.Position = from;
            ReadExactly(fs, head, head.Length);
            bool entryLike = true;
            for (int i = 0; i < head.Length; i++) entryLike &= head[i] == (byte)'-';
            if (!entryLike)
                throw HistoryDamage.Create("MalformedProvenance",
                    $"The provenance file '{Path}' is damaged: the {n} bytes after its last complete entry (from offset {from}) are not the start of an entry. Nothing was changed; check it with Test-EngramStore.", Path);
        }

        /// <summary>
        /// The entry in [start, end) without its value (parsing only its head), after checking that the range holds
        /// exactly one trailer line, its last (so the trailer's offset cannot skip or repeat entries). Throws
        /// <c>MalformedProvenance</c> when it does not. Read a chunk at a time: memory for its head, not for its value.
        /// </summary>
        private ProvenanceEntry ReadEntryHead(FileStream fs, long start, long end)
        {
            long total = end - start;
            if (total > int.MaxValue) throw Malformed($"the entry from offset {start} to {end} is larger than any entry Engram writes");
            const int Chunk = 64 * 1024, Keep = 6; // Keep: a pattern's bytes but one, carried over to the next chunk
            var buf = new byte[Chunk + Keep];
            var head = new MemoryStream();
            bool headDone = false;
            int trailers = 0, carry = 0;
            long read = 0;
            fs.Position = start;
            while (read < total)
            {
                int n = fs.Read(buf, carry, (int)Math.Min(Chunk, total - read));
                if (n <= 0) throw new EndOfStreamException();
                var span = new ReadOnlySpan<byte>(buf, 0, carry + n);
                if (read == 0) trailers += CountTrailerLines(span);
                else trailers += CountTrailerLines(span.Slice(Math.Max(0, carry - (TrailerLineStart.Length - 1))), atLineStart: false);
                if (!headDone)
                {
                    int at = span.IndexOf(ValueLine);
                    if (at < 0) head.Write(buf, carry, n);
                    else
                    {
                        long headEnd = read - carry + at + 1; // the head's length: up to and including the line feed before "value:"
                        if (headEnd < head.Length) head.SetLength(headEnd);
                        else head.Write(buf, carry, (int)(headEnd - head.Length));
                        headDone = true;
                    }
                }
                read += n;
                int keep = Math.Min(Keep, carry + n);
                Buffer.BlockCopy(buf, carry + n - keep, buf, 0, keep);
                carry = keep;
            }
            if (trailers != 1)
                throw Malformed($"the bytes from offset {start} to {end} hold {trailers} trailer lines, not one entry");
            return ParseEntryText(Encoding.UTF8.GetString(head.GetBuffer(), 0, (int)head.Length), includeValues: false);
        }

        private static readonly byte[] ValueLine = { (byte)'\n', (byte)'v', (byte)'a', (byte)'l', (byte)'u', (byte)'e', (byte)':' };

        /// <summary>The trailer lines (<c>#~ </c> at a line start) in <paramref name="range"/>, which starts at a line
        /// start (<paramref name="atLineStart"/>) or holds the end of the bytes before it.</summary>
        private static int CountTrailerLines(ReadOnlySpan<byte> range, bool atLineStart = true)
        {
            var afterLineFeed = new ReadOnlySpan<byte>(TrailerLineStart, 1, TrailerLineStart.Length - 1);
            int count = atLineStart && range.StartsWith(afterLineFeed) ? 1 : 0;
            for (int i = 0; ;)
            {
                int at = range.Slice(i).IndexOf(TrailerLineStart);
                if (at < 0) return count;
                count++;
                i += at + TrailerLineStart.Length;
            }
        }

        private static readonly byte[] TrailerLineStart = { (byte)'\n', (byte)'#', (byte)'~', (byte)' ' };

        private FileStream OpenRead() =>
            new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.None);

        private static bool StartsWithDocument(FileStream fs)
        {
            var buf = new byte[4];
            fs.Position = 0;
            int n = fs.Read(buf, 0, 4);
            return n >= 3 && buf[0] == '-' && buf[1] == '-' && buf[2] == '-';
        }

        /// <summary>Parses the trailer line that ends exactly at <paramref name="end"/> (which must follow a '\n').</summary>
        private LogTail? ReadTrailerEndingAt(FileStream fs, long end)
        {
            var line = ReadTrailerLineEndingAt(fs, end);
            return line == null ? null : ParseTrailer(line, end);
        }

        /// <summary>The complete line ending exactly at <paramref name="end"/> when it is a trailer line (starts with <c>#~ </c>), parsable or not.</summary>
        private static string? ReadTrailerLineEndingAt(FileStream fs, long end)
        {
            if (end <= 0) return null;
            int window = (int)Math.Min(end, 512);
            var buf = new byte[window];
            fs.Position = end - window;
            ReadExactly(fs, buf, window);
            if (buf[window - 1] != (byte)'\n') return null;
            int lineStart = window - 2;
            while (lineStart >= 0 && buf[lineStart] != (byte)'\n') lineStart--;
            lineStart++;
            if (lineStart == 0 && end - window > 0) return null; // line longer than the window: not a trailer
            var line = Encoding.UTF8.GetString(buf, lineStart, window - 1 - lineStart);
            return line.StartsWith(TrailerPrefix, StringComparison.Ordinal) ? line : null;
        }

        /// <summary>
        /// The last trailer line, ending exactly at <paramref name="end"/> (<paramref name="scan"/> false) or the last
        /// one in the file (true: after a torn write). A trailer line that does not parse is damage, never skipped: the
        /// bytes after it would otherwise look like a torn append and be cut.
        /// </summary>
        private LogTail? LastTrailer(FileStream fs, long end, bool scan)
        {
            if (!scan)
            {
                var line = ReadTrailerLineEndingAt(fs, end);
                return line == null ? null : ParseTrailer(line, end) ?? throw UnreadableTrailer(line, end);
            }
            const int Chunk = 64 * 1024;
            long pos = end;
            while (pos > 0)
            {
                int n = (int)Math.Min(Chunk, pos);
                pos -= n;
                var buf = new byte[n];
                fs.Position = pos;
                ReadExactly(fs, buf, n);
                for (int i = n - 1; i >= 0; i--)
                {
                    if (buf[i] != (byte)'\n') continue;
                    // A trailer ends at i (inclusive); try it.
                    var line = ReadTrailerLineEndingAt(fs, pos + i + 1);
                    if (line != null) return ParseTrailer(line, pos + i + 1) ?? throw UnreadableTrailer(line, pos + i + 1);
                }
            }
            return null;
        }

        private EngramException UnreadableTrailer(string line, long end) =>
            HistoryDamage.Create("TrailerMismatch",
                $"The provenance file '{Path}' is damaged: the trailer line ending at offset {end} ('{(line.Length > 120 ? line.Substring(0, 120) + "…" : line)}') cannot be read or points past itself. Nothing was changed; check it with Test-EngramStore.", Path);

        private LogTail? ParseTrailer(string line, long end)
        {
            if (!line.StartsWith(TrailerPrefix, StringComparison.Ordinal)) return null;
            var parts = line.Substring(TrailerPrefix.Length).Split(' ');
            if (parts.Length != 6 && parts.Length != 7) return null;
            if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var schema)
                || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
                || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var version)
                || !long.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
                || start >= end)
                return null;
            if (schema > ProvenanceEntry.CurrentSchema)
                throw new EngramException(EngramErrorIds.UnsupportedFormatVersion, EngramErrorKind.NotSupported,
                    $"The provenance file '{Path}' has entries of schema {schema}, but this version of Engram only knows schemas up to {ProvenanceEntry.CurrentSchema}. Update the Engram module; the file was not changed.", Path);
            return new LogTail { Schema = schema, Seq = seq, Version = version, Action = parts[3], Start = start, Hash = parts[5], ValidLength = end,
                Branch = parts.Length == 7 ? parts[6] : Names.DefaultBranch };
        }

        /// <summary>The trailer of the entry that ends where <paramref name="entryStart"/> begins (walks the chain back).</summary>
        public LogTail? ReadPreviousTail(FileStream fs, long entryStart) => entryStart <= 0 ? null : ReadTrailerEndingAt(fs, entryStart);

        private static void ReadExactly(Stream s, byte[] buf, int count)
        {
            int off = 0;
            while (off < count)
            {
                int n = s.Read(buf, off, count - off);
                if (n <= 0) throw new EndOfStreamException();
                off += n;
            }
        }

        /// <summary>
        /// Appends an entry whose <see cref="ProvenanceEntry.Hash"/> is set; returns the length before the append. With
        /// <paramref name="rendered"/> (the memory file written with it, whose value is the entry's) its value section
        /// is written as it is instead of being rendered again.
        /// </summary>
        internal long Append(ProvenanceEntry entry, long currentLength, Durability durability, RenderedMemory? rendered = null)
        {
            var (head, trailer) = SerializeAround(entry, currentLength);
            Utf8Buffer? own = entry.HasValue && rendered == null ? MemoryFile.ValueUtf8(entry.Value) : null;
            try
            {
                var parts = new List<ArraySegment<byte>> { new ArraySegment<byte>(FileOps.GetBytes(head)) };
                if (entry.HasValue) parts.Add((own ?? rendered!.Value).Segment);
                parts.Add(new ArraySegment<byte>(FileOps.GetBytes(trailer)));
                long before = FileOps.Append(Path, parts, durability);
                if (before != currentLength)
                {
                    // Someone changed the file between our tail read and the append: undo, the lock was not respected.
                    FileOps.Truncate(Path, before);
                    throw new EngramException(EngramErrorIds.WriteFailed, EngramErrorKind.WriteError,
                        $"The provenance file '{Path}' changed while it was being appended to.", Path);
                }
                return before;
            }
            finally
            {
                own?.Dispose();
            }
        }

        /// <summary>
        /// Every entry up to <paramref name="validLength"/> that ends with a trailer line, oldest first, as the byte
        /// range [Start, End) it really occupies and its trailer as written (null when the line does not parse): what
        /// the verifier cross-checks each trailer against (<see cref="ReadAll"/> yields the entries in the same order).
        /// </summary>
        internal IEnumerable<(long Start, long End, LogTail? Trailer)> ScanTrailers(long validLength)
        {
            if (validLength <= 0) yield break;
            using (var fs = OpenRead())
            {
                var buf = new byte[64 * 1024];
                var line = new List<byte>(256);
                long pos = 0, entryStart = 0;
                bool longLine = false;
                while (pos < validLength)
                {
                    int n = fs.Read(buf, 0, (int)Math.Min(buf.Length, validLength - pos));
                    if (n <= 0) break;
                    for (int i = 0; i < n; i++)
                    {
                        byte b = buf[i];
                        if (b != (byte)'\n')
                        {
                            if (line.Count < 512) line.Add(b); else longLine = true;
                            continue;
                        }
                        long end = pos + i + 1;
                        if (!longLine && line.Count >= 3 && line[0] == (byte)'#' && line[1] == (byte)'~' && line[2] == (byte)' ')
                        {
                            var text = Encoding.UTF8.GetString(line.ToArray());
                            LogTail? t = null;
                            try { t = ParseTrailer(text, end); }
                            catch (EngramException) { }
                            yield return (entryStart, end, t);
                            entryStart = end;
                        }
                        line.Clear();
                        longLine = false;
                    }
                    pos += n;
                }
            }
        }

        /// <summary>Reads the entry stored in [start, end).</summary>
        public ProvenanceEntry ReadEntry(FileStream fs, long start, long end, bool includeValues = true)
        {
            var buf = new byte[end - start];
            fs.Position = start;
            ReadExactly(fs, buf, buf.Length);
            return ParseEntryText(Encoding.UTF8.GetString(buf), includeValues);
        }

        /// <summary>The entry a tail points at, without its value (memory id, key, action… of the last entry).</summary>
        public ProvenanceEntry ReadTailEntry(LogTail tail)
        {
            using (var fs = OpenRead()) return ReadEntry(fs, tail.Start, tail.ValidLength, includeValues: false);
        }

        /// <summary>Opens the log for a sequence of <see cref="ReadEntry"/> / <see cref="ReadPreviousTail"/> calls.</summary>
        public FileStream OpenForRandomRead() => OpenRead();

        private void Guard(Action a)
        {
            try { a(); }
            catch (YamlException ex) { throw Malformed($"line {ex.Start.Line}: {ex.Message}", ex); }
            catch (InvalidOperationException ex) { throw Malformed(ex.Message, ex); }
            catch (FormatException ex) { throw Malformed(ex.Message, ex); }
        }

        public EngramException Malformed(string why, Exception? inner = null) =>
            new EngramException(EngramErrorIds.MalformedProvenance, EngramErrorKind.InvalidData,
                $"The provenance file '{Path}' cannot be read: {why}.", Path, inner);
    }
}
