using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using Engram.Core.Values;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Engram.Core.Provenance
{
    /// <summary>The entry codec: how one entry is written (its YAML document, and the trailer the log adds) and parsed
    /// back (a fast path for the plain form Engram writes, YamlDotNet for anything else).</summary>
    internal sealed partial class ProvenanceLog
    {
        /// <summary>Serializes one entry as a YAML document plus its trailer line.</summary>
        public static string Serialize(ProvenanceEntry e, long start)
        {
            var (head, trailer) = SerializeAround(e, start);
            if (!e.HasValue) return head + trailer;
            using (var value = MemoryFile.ValueUtf8(e.Value)) return head + value.ToString() + trailer;
        }

        /// <summary>
        /// The entry's text before its <c>value:</c> section (every field but the value, a complete YAML mapping ending
        /// in a line feed) and its trailer line: the entry is <c>head + value section + trailer</c>. The value section is
        /// the one a memory file has (<see cref="MemoryFile.ValueUtf8"/>), so a tracked write renders it once for both.
        /// </summary>
        private static (string Head, string Trailer) SerializeAround(ProvenanceEntry e, long start)
        {
            var head = PlainHead(e) ?? EmittedHead(e);
            var trailer = TrailerPrefix + string.Join(" ",
                e.Schema.ToString(CultureInfo.InvariantCulture), e.Seq.ToString(CultureInfo.InvariantCulture),
                e.Version.ToString(CultureInfo.InvariantCulture), e.Action, start.ToString(CultureInfo.InvariantCulture), e.Hash)
                + (e.Branch == Names.DefaultBranch ? "" : " " + e.Branch) + "\n";
            return (head, trailer);
        }

        /// <summary>
        /// The head written directly (<see cref="PlainYaml"/>) when the entry has no details map and every text field
        /// is a plain word or printable text: the same fields in the same order as <see cref="EmittedHead"/>. Null otherwise.
        /// </summary>
        private static string? PlainHead(ProvenanceEntry e)
        {
            if (e.Details != null) return null;
            var sb = new StringBuilder(512).Append("---\n");
            void Number(string name, long value) => sb.Append(name).Append(": ").Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
            bool Field(string name, string? value)
            {
                if (value == null) return true;
                sb.Append(name).Append(": ");
                if (!PlainYaml.TryAppendScalar(sb, value)) return false;
                sb.Append('\n');
                return true;
            }
            Number("schema", e.Schema);
            Number("seq", e.Seq);
            bool ok = Field("memoryId", e.MemoryId)
                && Field("namespace", e.Namespace)
                && Field("key", e.Key)
                && Field("action", e.Action)
                && Field("actor", e.Actor)
                && Field("timestamp", MemoryFile.Time(e.TimestampUtc))
                && Field("branch", e.Branch);
            if (!ok) return null;
            Number("version", e.Version);
            ok = Field("reason", e.Reason)
                && Field("contentHash", e.ContentHash)
                && Field("prevHash", e.PrevHash)
                && Field("hash", e.Hash);
            return ok ? sb.ToString() : null;
        }

        /// <summary>The head through YamlDotNet's emitter.</summary>
        private static string EmittedHead(ProvenanceEntry e)
        {
            var sw = new StringWriter(CultureInfo.InvariantCulture);
            sw.Write("---\n");
            var em = new Emitter(sw);
            em.Emit(new StreamStart());
            em.Emit(new DocumentStart());
            em.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, MappingStyle.Block));
            Plain(em, "schema", e.Schema.ToString(CultureInfo.InvariantCulture));
            Plain(em, "seq", e.Seq.ToString(CultureInfo.InvariantCulture));
            Plain(em, "memoryId", e.MemoryId);
            Str(em, "namespace", e.Namespace);
            Str(em, "key", e.Key);
            Plain(em, "action", e.Action);
            Str(em, "actor", e.Actor);
            Plain(em, "timestamp", MemoryFile.Time(e.TimestampUtc));
            Str(em, "branch", e.Branch);
            Plain(em, "version", e.Version.ToString(CultureInfo.InvariantCulture));
            if (e.Reason != null) Str(em, "reason", e.Reason);
            if (e.ContentHash != null) Plain(em, "contentHash", e.ContentHash);
            if (e.PrevHash != null) Plain(em, "prevHash", e.PrevHash);
            Plain(em, "hash", e.Hash);
            if (e.Details != null) { ValueCodec.WriteString(em, "details"); ValueCodec.Write(em, e.Details); }
            em.Emit(new MappingEnd());
            em.Emit(new DocumentEnd(true));
            em.Emit(new StreamEnd());
            var head = sw.ToString();
            return head.EndsWith("\n", StringComparison.Ordinal) ? head : head + "\n";
        }

        /// <summary>One entry as a YAML document without the log trailer (how the SQL backends store an entry).</summary>
        public static string SerializeDocument(ProvenanceEntry e)
        {
            var text = Serialize(e, 0);
            int cut = text.LastIndexOf(TrailerPrefix, StringComparison.Ordinal);
            return cut > 0 ? text.Substring(0, cut) : text;
        }

        /// <summary>Parses one entry document (as <see cref="SerializeDocument"/> writes it); <paramref name="origin"/> names it in errors.</summary>
        public static ProvenanceEntry ParseDocumentText(string text, string origin, bool includeValues = true) =>
            new ProvenanceLog(origin).ParseEntryText(text, includeValues);

        /// <summary>Like <see cref="ParseDocumentText"/>, always through the YAML parser (the reference the fast reader is tested against).</summary>
        internal static ProvenanceEntry ParseDocumentTextWithParser(string text, string origin, bool includeValues = true) =>
            new ProvenanceLog(origin).ParseWithParser(text, includeValues);

        private static void Plain(Emitter e, string name, string value)
        {
            e.Emit(new Scalar(AnchorName.Empty, TagName.Empty, name, ScalarStyle.Plain, true, false));
            e.Emit(new Scalar(AnchorName.Empty, TagName.Empty, value, ScalarStyle.Plain, true, false));
        }

        private static void Str(Emitter e, string name, string value)
        {
            e.Emit(new Scalar(AnchorName.Empty, TagName.Empty, name, ScalarStyle.Plain, true, false));
            ValueCodec.WriteString(e, value);
        }

        /// <summary>One entry's text (a YAML document, optionally with its trailer comment).</summary>
        private ProvenanceEntry ParseEntryText(string text, bool includeValues) =>
            TryParsePlain(text, includeValues) ?? ParseWithParser(text, includeValues);

        private ProvenanceEntry ParseWithParser(string text, bool includeValues)
        {
            var p = new Parser(new StringReader(text));
            ProvenanceEntry? e = null;
            Guard(() =>
            {
                p.Consume<StreamStart>();
                e = ParseDocument(p, includeValues);
            });
            return e!;
        }

        /// <summary>
        /// An entry as <see cref="PlainHead"/> writes it (fields that are plain words, numbers or double-quoted text
        /// with only <c>\\</c> and <c>\"</c> escapes; no details map) with a value section the memory-file readers
        /// take (a literal block or one plain line), read without YamlDotNet. Null for anything else (the YAML parser
        /// then reads it and reports what is wrong).
        /// </summary>
        internal static ProvenanceEntry? TryParsePlain(string text, bool includeValues)
        {
            if (!text.StartsWith("---\n", StringComparison.Ordinal)) return null;
            var e = new ProvenanceEntry { Schema = 0 };
            int pos = 4;
            while (pos < text.Length)
            {
                int nl = text.IndexOf('\n', pos);
                if (nl < 0) return null;
                if (string.CompareOrdinal(text, pos, TrailerPrefix, 0, TrailerPrefix.Length) == 0) { pos = text.Length; break; }
                if (string.CompareOrdinal(text, pos, "value: ", 0, 7) == 0)
                {
                    int trailer = text.IndexOf("\n" + TrailerPrefix, pos, StringComparison.Ordinal);
                    if (!includeValues) break;
                    if (!MemoryFile.TryReadValueSection(text, pos, trailer < 0 ? text.Length : trailer + 1, out var value)) return null; // in place: no copy of a large section
                    e.Value = value;
                    e.HasValue = true;
                    break;
                }
                int colon = text.IndexOf(": ", pos, nl - pos, StringComparison.Ordinal);
                if (colon < 0) return null;
                var name = text.Substring(pos, colon - pos);
                var raw = text.Substring(colon + 2, nl - colon - 2);
                pos = nl + 1;
                if (name == "schema" || name == "seq" || name == "version")
                {
                    if (!long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > int.MaxValue) return null;
                    if (name == "schema") { if (n > ProvenanceEntry.CurrentSchema) return null; e.Schema = (int)n; }
                    else if (name == "seq") e.Seq = n;
                    else e.Version = (int)n;
                    continue;
                }
                var v = PlainYaml.TryReadScalar(raw);
                if (v == null) return null;
                switch (name)
                {
                    case "memoryId": e.MemoryId = v; break;
                    case "namespace": e.Namespace = v; break;
                    case "key": e.Key = v; break;
                    case "action": e.Action = v; break;
                    case "actor": e.Actor = v; break;
                    case "timestamp":
                        if (!DateTime.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)) return null;
                        e.TimestampUtc = t;
                        break;
                    case "branch": e.Branch = v; break;
                    case "reason": e.Reason = v; break;
                    case "contentHash": e.ContentHash = v; break;
                    case "prevHash": e.PrevHash = v; break;
                    case "hash": e.Hash = v; break;
                    default: return null; // details, or a field of a newer revision: the parser's job
                }
            }
            if (e.Schema < 1 || e.Seq < 1 || e.Action.Length == 0 || e.Hash.Length == 0) return null;
            return e;
        }

        private ProvenanceEntry ParseDocument(IParser p, bool includeValues)
        {
            p.Consume<DocumentStart>();
            p.Consume<MappingStart>();
            var e = new ProvenanceEntry { Schema = 0 };
            while (!p.TryConsume<MappingEnd>(out _))
            {
                var name = p.Consume<Scalar>().Value;
                switch (name)
                {
                    case "schema":
                        e.Schema = int.Parse(p.Consume<Scalar>().Value, CultureInfo.InvariantCulture);
                        if (e.Schema > ProvenanceEntry.CurrentSchema)
                            throw new EngramException(EngramErrorIds.UnsupportedFormatVersion, EngramErrorKind.NotSupported,
                                $"The provenance file '{Path}' has entries of schema {e.Schema}, but this version of Engram only knows schemas up to {ProvenanceEntry.CurrentSchema}. Update the Engram module; the file was not changed.", Path);
                        break;
                    case "seq": e.Seq = long.Parse(p.Consume<Scalar>().Value, CultureInfo.InvariantCulture); break;
                    case "memoryId": e.MemoryId = p.Consume<Scalar>().Value; break;
                    case "namespace": e.Namespace = p.Consume<Scalar>().Value; break;
                    case "key": e.Key = p.Consume<Scalar>().Value; break;
                    case "action": e.Action = p.Consume<Scalar>().Value; break;
                    case "actor": e.Actor = p.Consume<Scalar>().Value; break;
                    case "timestamp":
                        e.TimestampUtc = DateTime.Parse(p.Consume<Scalar>().Value, CultureInfo.InvariantCulture,
                            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
                        break;
                    case "branch": e.Branch = p.Consume<Scalar>().Value; break;
                    case "version": e.Version = int.Parse(p.Consume<Scalar>().Value, CultureInfo.InvariantCulture); break;
                    case "reason": e.Reason = p.Consume<Scalar>().Value; break;
                    case "contentHash": e.ContentHash = p.Consume<Scalar>().Value; break;
                    case "prevHash": e.PrevHash = p.Consume<Scalar>().Value; break;
                    case "hash": e.Hash = p.Consume<Scalar>().Value; break;
                    case "details": e.Details = ValueCodec.Read(p) as EngramMap; break;
                    case "value":
                        if (includeValues) { e.Value = ValueCodec.Read(p); e.HasValue = true; }
                        else p.SkipThisAndNestedEvents();
                        break;
                    default: p.SkipThisAndNestedEvents(); break;
                }
            }
            p.Consume<DocumentEnd>();
            if (e.Schema < 1 || e.Seq < 1 || e.Action.Length == 0 || e.Hash.Length == 0)
                throw Malformed($"entry {e.Seq} lacks schema, seq, action or hash");
            return e;
        }
    }
}
