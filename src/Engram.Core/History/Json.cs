using System;
using System.Collections;
using System.Globalization;
using System.Text;
using Engram.Core.Values;

namespace Engram.Core.History
{
    /// <summary>
    /// Serializes core values (EngramMap, sequences, scalars) as JSON. No dependency on purpose: System.Text.Json
    /// would have to ship with the module and could clash with the copy PowerShell 7 already loads.
    /// </summary>
    public static class Json
    {
        public static string Serialize(object? value, bool indent = true)
        {
            var sb = new StringBuilder();
            Write(sb, value, indent, 0);
            return sb.ToString();
        }

        private static void Write(StringBuilder sb, object? value, bool indent, int depth)
        {
            switch (value)
            {
                case null: sb.Append("null"); return;
                case string s: Str(sb, s); return;
                case bool b: sb.Append(b ? "true" : "false"); return;
                case int _: case long _: case short _: case byte _: case sbyte _: case ushort _: case uint _: case ulong _: case decimal _:
                    sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture)); return;
                case double d:
                    if (double.IsNaN(d) || double.IsInfinity(d)) Str(sb, ValueCodec.FormatDouble(d));
                    else sb.Append(d.ToString("R", CultureInfo.InvariantCulture));
                    return;
                case float f: Write(sb, (double)f, indent, depth); return;
                case DateTime dt: Str(sb, dt.ToString("o", CultureInfo.InvariantCulture)); return;
                case DateTimeOffset dto: Str(sb, dto.ToString("o", CultureInfo.InvariantCulture)); return;
                case byte[] bytes: Str(sb, Convert.ToBase64String(bytes)); return;
                case EngramMap map:
                    {
                        sb.Append('{');
                        bool first = true;
                        foreach (var kv in map)
                        {
                            if (!first) sb.Append(',');
                            first = false;
                            Line(sb, indent, depth + 1);
                            Str(sb, kv.Key);
                            sb.Append(indent ? ": " : ":");
                            Write(sb, kv.Value, indent, depth + 1);
                        }
                        if (!first) Line(sb, indent, depth);
                        sb.Append('}');
                        return;
                    }
                case IEnumerable seq:
                    {
                        sb.Append('[');
                        bool first = true;
                        foreach (var item in seq)
                        {
                            if (!first) sb.Append(',');
                            first = false;
                            Line(sb, indent, depth + 1);
                            Write(sb, item, indent, depth + 1);
                        }
                        if (!first) Line(sb, indent, depth);
                        sb.Append(']');
                        return;
                    }
                default: Str(sb, Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""); return;
            }
        }

        private static void Line(StringBuilder sb, bool indent, int depth)
        {
            if (indent) sb.Append('\n').Append(' ', depth * 2);
        }

        private static void Str(StringBuilder sb, string s)
        {
            sb.Append('"');
            foreach (var c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    case '\b': sb.Append("\\b"); break;
                    case '\f': sb.Append("\\f"); break;
                    default:
                        if (c < 0x20 || c == '\u2028' || c == '\u2029') sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else sb.Append(c);
                        break;
                }
            }
            sb.Append('"');
        }
    }
}
