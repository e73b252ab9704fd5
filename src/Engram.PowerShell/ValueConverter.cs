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
                            var text = Convert.ToString(key, System.Globalization.CultureInfo.InvariantCulture)!;
                            // Keys are stored as text: @{1 = 'a'; '1' = 'b'} would silently keep one of them.
                            if (map.ContainsKey(text))
                                throw new EngramException(EngramErrorIds.InvalidValue, EngramErrorKind.InvalidArgument,
                                    $"The dictionary has two keys that are both '{text}' as text ({Describe(dict, text)}). Keys are stored as text, so one of the two values would be lost; rename one of the keys.", text);
                            map[text] = ToCore(entry.Value, depth + 1);
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


        /// <summary>The keys of <paramref name="dict"/> whose text is <paramref name="text"/>, with their types.</summary>
        private static string Describe(IDictionary dict, string text)
        {
            var found = new List<string>();
            foreach (DictionaryEntry e in dict)
            {
                var k = e.Key is PSObject p ? p.BaseObject : e.Key;
                if (Convert.ToString(k, System.Globalization.CultureInfo.InvariantCulture) == text)
                    found.Add((k is string ? "'" + k + "'" : Convert.ToString(k, System.Globalization.CultureInfo.InvariantCulture)) + " [" + k.GetType().Name + "]");
            }
            return string.Join(" and ", found);
        }

        /// <summary>
        /// The comparer for a dictionary read back: PowerShell's usual case-insensitive one, unless the map has keys that
        /// differ only in case (stored from a case-sensitive dictionary): then an ordinal one, so both keys come back.
        /// </summary>
        private static StringComparer KeyComparer(EngramMap map)
        {
            if (map.Count < 2) return StringComparer.OrdinalIgnoreCase;
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var k in map.Keys)
                if (!seen.Add(k)) return StringComparer.Ordinal;
            return StringComparer.OrdinalIgnoreCase;
        }

        /// <summary>Core value → PowerShell value: maps become PSCustomObject / Hashtable / OrderedDictionary (keys that
        /// differ only in case stay distinct: such a map comes back with case-sensitive keys).</summary>
        public static object? ToPowerShell(object? value)
        {
            switch (value)
            {
                case EngramMap map:
                    switch (map.Kind)
                    {
                        case MapKind.Hashtable:
                            {
                                var h = new Hashtable(KeyComparer(map));
                                foreach (var kv in map) h[kv.Key] = ToPowerShell(kv.Value);
                                return h;
                            }
                        case MapKind.Ordered:
                            {
                                var o = new OrderedDictionary(KeyComparer(map));
                                foreach (var kv in map) o[kv.Key] = ToPowerShell(kv.Value);
                                return o;
                            }
                        default:
                            {
                                if (KeyComparer(map) == StringComparer.Ordinal)
                                {
                                    // An object's properties are case-insensitive: keys that differ only in case (from
                                    // another writer than PowerShell) come back as a case-sensitive ordered dictionary.
                                    var d = new OrderedDictionary(StringComparer.Ordinal);
                                    foreach (var kv in map) d[kv.Key] = ToPowerShell(kv.Value);
                                    return d;
                                }
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
