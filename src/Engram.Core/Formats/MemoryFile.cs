using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using Engram.Core.Values;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Engram.Core
{
    /// <summary>Reads and writes the YAML memory file format.</summary>
    /// <example>
    /// <code>
    /// engram: 1
    /// id: 4f1c0e8a9b2d4c6e8f0a1b2c3d4e5f60
    /// key: Config
    /// version: 2
    /// created: 2026-11-24T10:00:00.0000000Z
    /// updated: 2026-11-24T10:05:00.0000000Z
    /// tags: [infra]
    /// value:
    ///   port: 8080
    /// </code>
    /// </example>
    public static class MemoryFile
    {
        /// <summary>The memory file as text (see <see cref="Render"/>).</summary>
        public static string Serialize(MemoryRecord m)
        {
            using (var r = Render(m)) return r.ToText();
        }

        /// <summary>
        /// The memory file as UTF-8: the header fields, then <c>contentHash</c> (the value's
        /// <see cref="ValueCodec.ContentHash"/>) and <c>valueBytes</c> (the UTF-8 length of the <c>value:</c> section,
        /// which is always last). With these two a writer learns all it needs of the current memory from its header
        /// (<see cref="ParseHeader"/>) and never has to parse or hash a large old value.
        /// </summary>
        /// <param name="contentHash">The hash to write instead of <paramref name="m"/>'s (a placeholder of the same
        /// length, <see cref="HashPlaceholder"/>, while the real one is still being computed).</param>
        internal static RenderedMemory Render(MemoryRecord m, string? contentHash = null)
        {
            var value = ValueUtf8(m.Value);
            try
            {
                var hash = contentHash ?? m.ContentHash;
                var header = PlainHeader(m, hash, value.Length) ?? EmittedHeader(m, hash, value.Length);
                int at = header.IndexOf("\ncontentHash: ", StringComparison.Ordinal) + "\ncontentHash: ".Length;
                return new RenderedMemory(Utf8Buffer.Strict.GetBytes(header), value, Utf8Buffer.Strict.GetByteCount(header.Substring(0, at)));
            }
            catch
            {
                value.Dispose();
                throw;
            }
        }

        /// <summary>The header through YamlDotNet's emitter (keys and tags that need quoting or escaping).</summary>
        private static string EmittedHeader(MemoryRecord m, string contentHash, int valueBytes)
        {
            var sw = new StringWriter(CultureInfo.InvariantCulture);
            var e = new Emitter(sw);
            e.Emit(new StreamStart());
            e.Emit(new DocumentStart());
            e.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, MappingStyle.Block));
            Field(e, "engram", MemoryRecord.CurrentFormat.ToString(CultureInfo.InvariantCulture));
            Field(e, "id", m.Id);
            ValueCodec.WriteString(e, "key"); ValueCodec.WriteString(e, m.Key);
            Field(e, "version", m.Version.ToString(CultureInfo.InvariantCulture));
            Field(e, "created", Time(m.CreatedUtc));
            Field(e, "updated", Time(m.UpdatedUtc));
            ValueCodec.WriteString(e, "tags");
            e.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, SequenceStyle.Flow));
            foreach (var t in m.Tags) ValueCodec.WriteString(e, t);
            e.Emit(new SequenceEnd());
            if (m.Deleted) Field(e, "deleted", "true");
            Field(e, "contentHash", contentHash);
            Field(e, "valueBytes", valueBytes.ToString(CultureInfo.InvariantCulture));
            e.Emit(new MappingEnd());
            e.Emit(new DocumentEnd(true));
            e.Emit(new StreamEnd());
            var header = sw.ToString();
            return header.EndsWith("\n", StringComparison.Ordinal) ? header : header + "\n";
        }

        /// <summary>
        /// The header written directly when the id, key and every tag are <see cref="IsPlainWord"/>s (the common case):
        /// the same lines the emitter writes for them, without its per-character analysis. Null otherwise.
        /// </summary>
        private static string? PlainHeader(MemoryRecord m, string contentHash, int valueBytes)
        {
            if (!PlainYaml.IsWord(m.Id) || !PlainYaml.IsWord(m.Key) || !PlainYaml.IsWord(contentHash)) return null;
            foreach (var t in m.Tags) if (!PlainYaml.IsWord(t, flow: true)) return null;
            var sb = new StringBuilder(256);
            sb.Append("engram: ").Append(MemoryRecord.CurrentFormat.ToString(CultureInfo.InvariantCulture)).Append('\n')
              .Append("id: ").Append(m.Id).Append('\n')
              .Append("key: ").Append(m.Key).Append('\n')
              .Append("version: ").Append(m.Version.ToString(CultureInfo.InvariantCulture)).Append('\n')
              .Append("created: ").Append(Time(m.CreatedUtc)).Append('\n')
              .Append("updated: ").Append(Time(m.UpdatedUtc)).Append('\n')
              .Append("tags: [");
            for (int i = 0; i < m.Tags.Count; i++) sb.Append(i == 0 ? "" : ", ").Append(m.Tags[i]);
            sb.Append("]\n");
            if (m.Deleted) sb.Append("deleted: true\n");
            sb.Append("contentHash: ").Append(contentHash).Append('\n')
              .Append("valueBytes: ").Append(valueBytes.ToString(CultureInfo.InvariantCulture)).Append('\n');
            return sb.ToString();
        }

        /// <summary>Stands in for a content hash still being computed: same length as a real one (sha256: and 64 hex digits).</summary>
        internal static readonly string HashPlaceholder = "sha256:" + new string('0', 64);

        /// <summary>Between the tags of a plain flow list (<c>[a, b]</c>).</summary>
        private static readonly string[] ListSeparator = { ", " };

        /// <summary>
        /// The <c>value:</c> section as UTF-8: a long string that is safe there as a literal block, written by
        /// <see cref="LiteralBlock"/>; anything else through YamlDotNet's emitter. The caller disposes the buffer.
        /// </summary>
        internal static Utf8Buffer ValueUtf8(object? value)
        {
            var buf = new Utf8Buffer(value is string s0 ? s0.Length + 64 : 256);
            try
            {
                if (value is string s && s.Length >= LiteralBlock.MinLength && LiteralBlock.IsSafe(s))
                {
                    LiteralBlock.Append(buf, "value", s);
                    return buf;
                }
                var sw = new StringWriter(CultureInfo.InvariantCulture);
                var e = new Emitter(sw);
                e.Emit(new StreamStart());
                e.Emit(new DocumentStart());
                e.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, MappingStyle.Block));
                ValueCodec.WriteString(e, "value");
                ValueCodec.Write(e, value);
                e.Emit(new MappingEnd());
                e.Emit(new DocumentEnd(true));
                e.Emit(new StreamEnd());
                buf.Append(sw.ToString());
                return buf;
            }
            catch
            {
                buf.Dispose();
                throw;
            }
        }

        /// <summary>
        /// Where the top-level <c>value:</c> line starts in the first <paramref name="count"/> bytes of a memory file
        /// (the header is everything before it), or -1 if it is not among them.
        /// </summary>
        internal static int FindValueLine(byte[] bytes, int count)
        {
            for (int i = 0; i + 6 < count; i++)
            {
                i = Array.IndexOf(bytes, (byte)'\n', i, count - 6 - i);
                if (i < 0) return -1;
                if (bytes[i + 1] == (byte)'v' && bytes[i + 2] == (byte)'a' && bytes[i + 3] == (byte)'l' && bytes[i + 4] == (byte)'u'
                    && bytes[i + 5] == (byte)'e' && bytes[i + 6] == (byte)':')
                    return i + 1;
            }
            return -1;
        }

        /// <summary>A time as memory files and SQL rows write it (ISO 8601 round-trip, UTC).</summary>
        public static string Time(DateTime utc) => utc.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture);

        private static void Field(Emitter e, string name, string plainValue)
        {
            e.Emit(new Scalar(AnchorName.Empty, TagName.Empty, name, ScalarStyle.Plain, true, false));
            e.Emit(new Scalar(AnchorName.Empty, TagName.Empty, plainValue, ScalarStyle.Plain, true, false));
        }

        /// <summary>Parses a memory file. Throws MalformedMemoryFile / UnsupportedFormatVersion with the path.</summary>
        public static MemoryRecord Parse(string text, string ns, string path, string branch = Names.DefaultBranch) =>
            Parse(text, ns, path, branch, headerOnly: false, out _, out _);

        /// <summary>
        /// Parses the header of a memory file: <paramref name="headerText"/> is the text before the <c>value:</c> line.
        /// The record's value is null (the caller supplies it lazily); <paramref name="contentHash"/> and
        /// <paramref name="valueBytes"/> are null for files written before these fields existed.
        /// </summary>
        public static MemoryRecord ParseHeader(string headerText, string ns, string path, out string? contentHash, out long? valueBytes) =>
            TryParsePlainHeader(headerText, ns, out contentHash, out valueBytes)
            ?? Parse(headerText, ns, path, Names.DefaultBranch, headerOnly: true, out contentHash, out valueBytes);

        /// <summary>
        /// The header <see cref="PlainHeader"/> writes, read line by line without YamlDotNet. Null for anything else
        /// (quoted or escaped text, another field, a newer format, a bad number…): the YAML parser then reads it, and
        /// reports what is wrong.
        /// </summary>
        internal static MemoryRecord? TryParsePlainHeader(string text, string ns, out string? contentHash, out long? valueBytes)
        {
            contentHash = null;
            valueBytes = null;
            string? id = null, key = null, hash = null;
            int? format = null, version = null;
            long? size = null;
            DateTime? created = null, updated = null;
            List<string>? tags = null;
            bool deleted = false;
            int pos = 0;
            while (pos < text.Length)
            {
                int nl = text.IndexOf('\n', pos);
                if (nl < 0) return null; // every header line ends with a line feed
                int colon = text.IndexOf(": ", pos, nl - pos, StringComparison.Ordinal);
                if (colon < 0) return null;
                string name = text.Substring(pos, colon - pos), value = text.Substring(colon + 2, nl - colon - 2);
                pos = nl + 1;
                switch (name)
                {
                    case "engram": format = PlainInt(value); if (format == null || format > MemoryRecord.CurrentFormat) return null; break;
                    case "id": if (!PlainYaml.IsWord(value)) return null; id = value; break;
                    case "key": if (!PlainYaml.IsWord(value)) return null; key = value; break;
                    case "version": version = PlainInt(value); if (version == null) return null; break;
                    case "created": created = PlainTime(value); if (created == null) return null; break;
                    case "updated": updated = PlainTime(value); if (updated == null) return null; break;
                    case "deleted": if (value != "true") return null; deleted = true; break;
                    case "contentHash": if (!PlainYaml.IsWord(value)) return null; hash = value; break;
                    case "valueBytes":
                        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return null;
                        size = n;
                        break;
                    case "tags":
                        if (value.Length < 2 || value[0] != '[' || value[value.Length - 1] != ']') return null;
                        tags = new List<string>();
                        if (value.Length > 2)
                            foreach (var t in value.Substring(1, value.Length - 2).Split(ListSeparator, StringSplitOptions.None))
                            {
                                if (!PlainYaml.IsWord(t, flow: true)) return null;
                                tags.Add(t);
                            }
                        break;
                    default: return null;
                }
            }
            if (format == null || id == null || key == null || version == null || version < 1 || tags == null || hash == null || size == null) return null;
            contentHash = hash;
            valueBytes = size;
            return new MemoryRecord(id, ns, key, null, tags, version.Value,
                created ?? updated ?? DateTime.MinValue, updated ?? created ?? DateTime.MinValue, Names.DefaultBranch, deleted);
        }

        /// <summary>
        /// A file this build wrote with a plain header and either a long string as a literal block or a one-line plain
        /// scalar, read without YamlDotNet (~10 ms per MB for a block; most of a small Get). Null for anything else,
        /// which the YAML parser then reads.
        /// </summary>
        private static MemoryRecord? TryParseFast(string text, string ns, string branch, out string? contentHash, out long? valueBytes)
        {
            contentHash = null;
            valueBytes = null;
            int at = text.IndexOf("\nvalue: ", StringComparison.Ordinal) + 1;
            if (at <= 0) return null;
            var header = TryParsePlainHeader(text.Substring(0, at), ns, out var hash, out var size); // the cheap part first
            if (header == null || !TryReadValueSection(text, at, out var value)) return null;
            contentHash = hash;
            valueBytes = size;
            return new MemoryRecord(header.Id, ns, header.Key, value, header.Tags, header.Version, header.CreatedUtc, header.UpdatedUtc, branch, header.Deleted);
        }

        /// <summary>
        /// The value of a <c>value:</c> section that runs from <paramref name="at"/> to the end of <paramref name="text"/>,
        /// when it is a literal block as <see cref="LiteralBlock"/> writes it or one plain line (a number, bool, null or
        /// simple text); false for anything else (the YAML parser's job). Memory files and history entries share it.
        /// </summary>
        internal static bool TryReadValueSection(string text, int at, out object? value) => TryReadValueSection(text, at, text.Length, out value);

        /// <summary>The value section from <paramref name="at"/> to <paramref name="stop"/> (exclusive), read in place.</summary>
        internal static bool TryReadValueSection(string text, int at, int stop, out object? value)
        {
            value = null;
            int from = at + "value: ".Length;
            if (from >= stop) return false;
            if (text[from] == '|')
            {
                if (!LiteralBlock.TryRead(text, at, stop, out var block)) return false;
                value = block;
                return true;
            }
            int end = stop - 1;
            if (text[end] != '\n' || text.IndexOf('\n', from, stop - from) != end || !PlainYaml.IsSimpleLine(text, from, end)) return false;
            value = ValueCodec.ReadPlain(text.Substring(from, end - from));
            return true;
        }

        internal static bool TryReadValueSection(string section, out object? value) => TryReadValueSection(section, 0, out value);

        private static int? PlainInt(string s) =>
            int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : (int?)null;

        private static DateTime? PlainTime(string s) =>
            DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var v)
                ? DateTime.SpecifyKind(v, DateTimeKind.Utc) : (DateTime?)null;

        /// <summary>The full parse, with the header's recorded content hash (null when absent) for the verifier.</summary>
        internal static MemoryRecord Parse(string text, string ns, string path, string branch, bool headerOnly, out string? contentHash, out long? valueBytes)
        {
            if (!headerOnly && TryParseFast(text, ns, branch, out contentHash, out valueBytes) is MemoryRecord fast) return fast;
            contentHash = null;
            valueBytes = null;
            int? format = null, version = null;
            string? id = null, key = null;
            DateTime? created = null, updated = null;
            var tags = new List<string>();
            object? value = null;
            bool hasValue = false, deleted = false;
            try
            {
                var p = new Parser(new StringReader(text));
                p.Consume<StreamStart>();
                p.Consume<DocumentStart>();
                p.Consume<MappingStart>();
                while (!p.TryConsume<MappingEnd>(out _))
                {
                    var name = p.Consume<Scalar>().Value;
                    switch (name)
                    {
                        case "engram":
                            format = Int(p, name, path);
                            if (format > MemoryRecord.CurrentFormat)
                                throw new EngramException(EngramErrorIds.UnsupportedFormatVersion, EngramErrorKind.NotSupported,
                                    $"The memory file '{path}' uses format {format}, but this version of Engram only knows formats up to {MemoryRecord.CurrentFormat}. Update the Engram module; the file was not changed.", path);
                            break;
                        case "id": id = p.Consume<Scalar>().Value; break;
                        case "key": key = p.Consume<Scalar>().Value; break;
                        case "version": version = Int(p, name, path); break;
                        case "created": created = Date(p, name, path); break;
                        case "updated": updated = Date(p, name, path); break;
                        case "tags":
                            p.Consume<SequenceStart>();
                            while (!p.TryConsume<SequenceEnd>(out _)) tags.Add(p.Consume<Scalar>().Value);
                            break;
                        case "value": value = ValueCodec.Read(p); hasValue = true; break;
                        case "deleted": deleted = p.Consume<Scalar>().Value == "true"; break;
                        case "contentHash": contentHash = p.Consume<Scalar>().Value; break;
                        case "valueBytes":
                            var size = p.Consume<Scalar>().Value;
                            if (long.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) valueBytes = n;
                            else throw Malformed(path, $"'valueBytes' must be a whole number, not '{size}'");
                            break;
                        default: p.SkipThisAndNestedEvents(); break; // fields from a newer minor revision
                    }
                }
                p.Consume<DocumentEnd>();
            }
            catch (YamlException ex)
            {
                throw Malformed(path, $"line {ex.Start.Line}, column {ex.Start.Column}: {ex.Message}", ex);
            }
            catch (InvalidOperationException ex)
            {
                throw Malformed(path, ex.Message, ex);
            }

            if (format == null) throw Malformed(path, "the 'engram' format field is missing");
            if (id == null) throw Malformed(path, "the 'id' field is missing");
            if (key == null) throw Malformed(path, "the 'key' field is missing");
            if (version == null || version < (deleted ? 0 : 1)) throw Malformed(path, "the 'version' field is missing or not positive");
            if (!hasValue && !headerOnly) throw Malformed(path, "the 'value' field is missing");
            return new MemoryRecord(id!, ns, key, value, tags, version.Value,
                created ?? updated ?? DateTime.MinValue, updated ?? created ?? DateTime.MinValue, branch, deleted);
        }

        private static int Int(IParser p, string name, string path)
        {
            var s = p.Consume<Scalar>();
            if (!int.TryParse(s.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                throw Malformed(path, $"'{name}' must be a whole number, not '{s.Value}'");
            return v;
        }

        private static DateTime Date(IParser p, string name, string path)
        {
            var s = p.Consume<Scalar>();
            return PlainTime(s.Value) ?? throw Malformed(path, $"'{name}' must be an ISO 8601 time, not '{s.Value}'");
        }

        /// <summary>MalformedMemoryFile for the memory at <paramref name="path"/>, saying <paramref name="why"/>.</summary>
        public static EngramException Malformed(string path, string why, Exception? inner = null) =>
            new EngramException(EngramErrorIds.MalformedMemoryFile, EngramErrorKind.InvalidData,
                $"The memory file '{path}' cannot be read: {why}.", path, inner);
    }

    /// <summary>A memory file rendered as UTF-8: the header and the <c>value:</c> section (pooled; dispose it).</summary>
    internal sealed class RenderedMemory : IDisposable
    {
        public RenderedMemory(byte[] header, Utf8Buffer value, int hashOffset)
        {
            Header = header;
            Value = value;
            HashOffset = hashOffset;
        }

        /// <summary>Where the content hash starts in the file (a placeholder written there can be patched in place).</summary>
        public int HashOffset { get; }

        public byte[] Header { get; }
        public Utf8Buffer Value { get; }
        public ArraySegment<byte>[] Segments => new[] { new ArraySegment<byte>(Header), Value.Segment };
        public string ToText() => Utf8Buffer.Strict.GetString(Header) + Value.ToString();
        public void Dispose() => Value.Dispose();
    }
}
