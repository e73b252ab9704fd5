using System;
using System.Collections;
using System.Collections.Generic;

namespace Engram.Core.Values
{
    /// <summary>How a map was given, so it comes back as the same kind of PowerShell object.</summary>
    public enum MapKind
    {
        /// <summary>A property bag (PSCustomObject). YAML: an untagged mapping.</summary>
        Object,
        /// <summary>An unordered hashtable (@{}). YAML: <c>!hashtable</c>.</summary>
        Hashtable,
        /// <summary>An ordered dictionary ([ordered]@{}). YAML: <c>!ordered</c>.</summary>
        Ordered,
    }

    /// <summary>An insertion-ordered string-keyed map: the core's representation of objects and dictionaries.</summary>
    public sealed class EngramMap : IEnumerable<KeyValuePair<string, object?>>
    {
        private readonly List<KeyValuePair<string, object?>> _entries = new List<KeyValuePair<string, object?>>();
        private readonly Dictionary<string, int> _index = new Dictionary<string, int>(StringComparer.Ordinal);

        public EngramMap(MapKind kind = MapKind.Object) { Kind = kind; }

        public MapKind Kind { get; }

        public int Count => _entries.Count;

        public IEnumerable<string> Keys { get { foreach (var e in _entries) yield return e.Key; } }

        /// <summary>Gets or sets a value; setting an existing key keeps its position.</summary>
        public object? this[string key]
        {
            get => _entries[_index[key]].Value;
            set
            {
                if (key == null) throw new ArgumentNullException(nameof(key));
                if (_index.TryGetValue(key, out var i)) _entries[i] = new KeyValuePair<string, object?>(key, value);
                else { _index[key] = _entries.Count; _entries.Add(new KeyValuePair<string, object?>(key, value)); }
            }
        }

        public void Add(string key, object? value)
        {
            if (key == null) throw new ArgumentNullException(nameof(key));
            if (_index.ContainsKey(key)) throw new ArgumentException($"Duplicate key '{key}'.", nameof(key));
            this[key] = value;
        }

        public bool ContainsKey(string key) => _index.ContainsKey(key);

        public bool TryGetValue(string key, out object? value)
        {
            if (_index.TryGetValue(key, out var i)) { value = _entries[i].Value; return true; }
            value = null;
            return false;
        }

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _entries.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
