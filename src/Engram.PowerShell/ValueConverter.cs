using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Management.Automation;
using Engram.Core;
using Engram.Core.Values;

namespace Engram.PowerShell
{
    /// <summary>Converts between PowerShell objects and the core's value model (scalars, object[], EngramMap).</summary>
    public static class ValueConverter
    {
        /// <summary>PowerShell value → core value. PSCustomObject → map (Object), hashtable → map (Hashtable),
        /// [ordered] → map (Ordered), other enumerables → object[], scalars unchanged.</summary>
        public static object? ToCore(object? value) => ToCore(value, 0);

        private static object? ToCore(object? value, int depth)
        {
            if (depth > ValueCodec.MaxDepth)
                throw new EngramException(EngramErrorIds.ValueTooDeep, EngramErrorKind.InvalidArgument,
                    $"The value is nested more than {ValueCodec.MaxDepth} levels deep (or refers to itself).");
            if (value == null || value is DBNull) return null;
            if (value is PSObject pso)
            {
                if (pso.BaseObject is PSCustomObject)
                {
                    var map = new EngramMap(MapKind.Object);
                    foreach (var p in pso.Properties)
                    {
                        if (p.MemberType != PSMemberTypes.NoteProperty && p.MemberType != PSMemberTypes.Property) continue;
                        map[p.Name] = ToCore(p.Value, depth + 1);
                    }
                    return map;
                }
                value = pso.BaseObject;
            }
            switch (value)
            {
                case string _:
                case byte[] _:
                case EngramMap _:
                    return value;
                case SwitchParameter sw: return sw.IsPresent;
                case Enum e: return e.ToString(); // by name: it reads back as a string (documented)
                case System.Numerics.BigInteger big:
                    throw new EngramException(EngramErrorIds.UnsupportedValueType, EngramErrorKind.InvalidArgument,
                        $"A [bigint] ({big}) is not stored: Engram keeps the primitive .NET numbers and [decimal]. Convert it " +
                        "([long], [decimal] for up to 28 digits) or store its text ([string]).", big);
                case IDictionary dict:
                    {
                        var map = new EngramMap(IsOrdered(dict) ? MapKind.Ordered : MapKind.Hashtable);
                        foreach (DictionaryEntry entry in dict)
                        {
                            var key = ToCore(entry.Key, depth + 1);
                            if (key == null)
                                throw new EngramException(EngramErrorIds.UnsupportedValueType, EngramErrorKind.InvalidArgument, "A dictionary key cannot be null.");
                            map[Convert.ToString(key, System.Globalization.CultureInfo.InvariantCulture)!] = ToCore(entry.Value, depth + 1);
                        }
                        return map;
                    }
                case IEnumerable seq:
                    {
                        var list = new List<object?>();
                        foreach (var item in seq) list.Add(ToCore(item, depth + 1));
                        return list.ToArray();
                    }
                default:
                    return value; // scalars; the core rejects what it cannot store with UnsupportedValueType
            }
        }

        // [ordered] (OrderedDictionary) and PowerShell 7.3+'s OrderedHashtable (ConvertFrom-Json -AsHashtable), which
        // PowerShellStandard does not know by type: both keep their key order, so both are stored as !ordered.
        private static bool IsOrdered(IDictionary dict) =>
            dict is OrderedDictionary || dict.GetType().FullName == "System.Management.Automation.OrderedHashtable";

        /// <summary>
        /// True when <paramref name="text"/> is exactly the full name of a collection, dictionary or object type — the
        /// text Export-Csv (which writes ToString()) leaves for a hashtable, array or PSCustomObject value.
        /// </summary>
        public static bool IsTypeNameOfCollection(string text)
        {
            if (!text.StartsWith("System.", StringComparison.Ordinal) || text.Length > 300 || text.IndexOf(' ') >= 0) return false;
            Type? type;
            try { type = LanguagePrimitives.ConvertTo(text, typeof(Type), System.Globalization.CultureInfo.InvariantCulture) as Type; }
            catch (PSInvalidCastException) { return false; }
            if (type == null || type.FullName != text) return false;
            return type == typeof(PSCustomObject) || type == typeof(PSObject) || typeof(IDictionary).IsAssignableFrom(type)
                   || (typeof(IEnumerable).IsAssignableFrom(type) && type != typeof(string));
        }

        /// <summary>Core value → PowerShell value: maps become PSCustomObject / Hashtable / OrderedDictionary.</summary>
        public static object? ToPowerShell(object? value)
        {
            switch (value)
            {
                case EngramMap map:
                    switch (map.Kind)
                    {
                        case MapKind.Hashtable:
                            {
                                var h = new Hashtable(StringComparer.OrdinalIgnoreCase);
                                foreach (var kv in map) h[kv.Key] = ToPowerShell(kv.Value);
                                return h;
                            }
                        case MapKind.Ordered:
                            {
                                var o = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
                                foreach (var kv in map) o[kv.Key] = ToPowerShell(kv.Value);
                                return o;
                            }
                        default:
                            {
                                var pso = new PSObject();
                                foreach (var kv in map) pso.Properties.Add(new PSNoteProperty(kv.Key, ToPowerShell(kv.Value)));
                                return pso;
                            }
                    }
                case object?[] items:
                    {
                        var copy = new object?[items.Length];
                        for (int i = 0; i < items.Length; i++) copy[i] = ToPowerShell(items[i]);
                        return copy;
                    }
                default:
                    return value;
            }
        }
    }
}
