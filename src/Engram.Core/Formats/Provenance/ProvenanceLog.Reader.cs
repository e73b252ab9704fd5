using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Engram.Core.Provenance
{
    // Reading a log's entries one after the other (every history read, and the verifier's walk).
    internal sealed partial class ProvenanceLog
    {
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false);

        /// <summary>
        /// Reads every complete entry up to <paramref name="validLength"/>, oldest first, streaming one entry at a time:
        /// the text up to each trailer line (a comment at column 0, which no value can hold) is one YAML document, read
        /// by <see cref="TryParsePlain"/> when it has the shape this build writes, else by the YAML parser. Bytes left
        /// after the last trailer line that are not blank are read as one more entry (one made by hand).
        /// </summary>
        /// <remarks>
        /// Memory: an entry is decoded from its bytes once, straight from the read buffer when it fits there, else read
        /// again on its own from where it starts; its bytes are garbage before it is parsed. So a large entry costs its
        /// bytes and its text, then its text and its value, never several copies (the line reader it replaces built a
        /// line, a builder and a string of each entry before parsing). A file with a carriage return, or with a UTF-16
        /// or UTF-32 byte-order mark, is read from there on by lines, where a carriage return also ends a line.
        /// </remarks>
        public IEnumerable<ProvenanceEntry> ReadAll(long validLength, bool includeValues = true)
        {
            if (validLength <= 0) yield break;
            using (var fs = OpenRead())
            {
                var buf = new byte[64 * 1024];
                FileStream? spanning = null; // reads an entry that does not fit the buffer
                try
                {
                    long bufAt = 0;      // file offset of buf[0]
                    int filled = 0;
                    long entryStart = 0;
                    int prefix = 0;      // bytes of the current line matched against "#~ " (-1: not a trailer line)
                    long pos = 0;
                    // A byte-order mark: UTF-8 is skipped (as a reader of text does); another one means text of another encoding.
                    var head = new byte[4];
                    int h = fs.Read(head, 0, (int)Math.Min(4, validLength));
                    fs.Position = 0;
                    if (h >= 2 && ((head[0] == 0xFE && head[1] == 0xFF) || (head[0] == 0xFF && head[1] == 0xFE)))
                    {
                        foreach (var e in ReadByLines(fs, 0, validLength, includeValues)) yield return e;
                        yield break;
                    }
                    if (h >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF) pos = entryStart = 3;
                    while (pos < validLength)
                    {
                        if (pos - bufAt >= filled)
                        {
                            bufAt = pos;
                            fs.Position = pos;
                            filled = fs.Read(buf, 0, (int)Math.Min(buf.Length, validLength - pos));
                            if (filled <= 0) break;
                        }
                        int i = (int)(pos - bufAt);
                        byte b = buf[i];
                        if (b == (byte)'\r')
                        {
                            // Lines end at carriage returns too there: read the rest as text, by lines.
                            foreach (var e in ReadByLines(fs, entryStart, validLength, includeValues)) yield return e;
                            yield break;
                        }
                        if (b != (byte)'\n')
                        {
                            if (prefix >= 0 && prefix < 3) { prefix = b == (byte)TrailerPrefix[prefix] ? prefix + 1 : -1; pos++; continue; }
                            int next = new ReadOnlySpan<byte>(buf, i, filled - i).IndexOfAny((byte)'\n', (byte)'\r'); // vectorized
                            pos += next < 0 ? filled - i : next;
                            continue;
                        }
                        pos++;
                        bool trailer = prefix == 3;
                        prefix = 0;
                        if (!trailer) continue;
                        var text = Decode(buf, bufAt, filled, entryStart, pos, ref spanning);
                        entryStart = pos;
                        yield return ParseEntryText(text, includeValues);
                    }
                    if (entryStart < validLength)
                    {
                        var rest = Decode(buf, bufAt, filled, entryStart, validLength, ref spanning);
                        if (rest.Trim().Length > 0) // an entry without a trailer (hand-made)
                            yield return ParseEntryText(rest.EndsWith("\n", StringComparison.Ordinal) ? rest : rest + "\n", includeValues);
                    }
                }
                finally
                {
                    spanning?.Dispose();
                }
            }
        }

        /// <summary>The text of the bytes [<paramref name="start"/>, <paramref name="end"/>): from the buffer when they are
        /// all in it, else read on their own.</summary>
        private string Decode(byte[] buf, long bufAt, int filled, long start, long end, ref FileStream? spanning)
        {
            if (start >= bufAt && end <= bufAt + filled) return Utf8.GetString(buf, (int)(start - bufAt), (int)(end - start));
            if (end - start > int.MaxValue) throw Malformed($"the entry from offset {start} to {end} is larger than any entry Engram writes");
            spanning ??= OpenRead();
            var bytes = new byte[end - start];
            spanning.Position = start;
            ReadExactly(spanning, bytes, bytes.Length);
            var text = Utf8.GetString(bytes);
            // A large entry's bytes are garbage now; the runtime would free them only at a full collection, so without
            // one its value would be built on top of them.
            bytes = null;
            if (text.Length >= Engine.Rules.ChainRules.LargeEntryChars) GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            return text;
        }

        /// <summary>The entries from <paramref name="from"/> on, read as text by lines (what a text reader calls a line).</summary>
        private IEnumerable<ProvenanceEntry> ReadByLines(FileStream fs, long from, long validLength, bool includeValues)
        {
            using (var reader = new StreamReader(new BoundedStream(fs, from, validLength - from), Utf8, from == 0))
            {
                var entry = new StringBuilder();
                string? line;
                while ((line = reader.ReadLine()) != null)
                {
                    entry.Append(line).Append('\n');
                    if (!line.StartsWith(TrailerPrefix, StringComparison.Ordinal)) continue;
                    var text = entry.ToString();
                    entry.Clear(); // before parsing: a large entry is not held twice while its value is built
                    yield return ParseEntryText(text, includeValues);
                }
                if (entry.ToString().Trim().Length > 0) yield return ParseEntryText(entry.ToString(), includeValues); // an entry without a trailer (hand-made)
            }
        }
    }
}
