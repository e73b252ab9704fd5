using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
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
    internal static class MemoryFile
    {
        public static string Serialize(MemoryRecord m)
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
            ValueCodec.WriteString(e, "value");
            ValueCodec.Write(e, m.Value);
            e.Emit(new MappingEnd());
            e.Emit(new DocumentEnd(true));
            e.Emit(new StreamEnd());
            return sw.ToString();
        }

        /// <summary>
        /// The <c>value:</c> part of a text made by <see cref="Serialize"/>: from the line that starts with the
        /// top-level <c>value</c> key (always the last key; every other line of the value is indented) to the end.
        /// Null if the text does not have exactly one such line.
        /// </summary>
        internal static string? ValueSection(string serialized)
        {
            const string Marker = "\nvalue:";
            int i = serialized.IndexOf(Marker, StringComparison.Ordinal);
            if (i < 0 || serialized.IndexOf(Marker, i + 1, StringComparison.Ordinal) >= 0) return null;
            return serialized.Substring(i + 1);
        }

        internal static string Time(DateTime utc) => utc.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture);

        private static void Field(IEmitter e, string name, string plainValue)
        {
            e.Emit(new Scalar(AnchorName.Empty, TagName.Empty, name, ScalarStyle.Plain, true, false));
            e.Emit(new Scalar(AnchorName.Empty, TagName.Empty, plainValue, ScalarStyle.Plain, true, false));
        }

        /// <summary>Parses a memory file. Throws MalformedMemoryFile / UnsupportedFormatVersion with the path.</summary>
        public static MemoryRecord Parse(string text, string ns, string path, string branch = Names.DefaultBranch)
        {
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
            if (!hasValue) throw Malformed(path, "the 'value' field is missing");
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
            if (!DateTime.TryParse(s.Value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var v))
                throw Malformed(path, $"'{name}' must be an ISO 8601 time, not '{s.Value}'");
            return DateTime.SpecifyKind(v, DateTimeKind.Utc);
        }

        internal static EngramException Malformed(string path, string why, Exception? inner = null) =>
            new EngramException(EngramErrorIds.MalformedMemoryFile, EngramErrorKind.InvalidData,
                $"The memory file '{path}' cannot be read: {why}.", path, inner);
    }
}
