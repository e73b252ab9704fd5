using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Engram.Core.Values;

namespace Engram.Core.History
{
    public enum ChangeKind { Added, Removed, Modified }

    /// <summary>One structural difference between two values, at a property path such as <c>hosts[1]</c> or <c>db.port</c>.</summary>
    public sealed class ValueChange
    {
        internal ValueChange(string path, ChangeKind kind, object? before, object? after)
        {
            Path = path;
            Kind = kind;
            Before = before;
            After = after;
        }

        /// <summary>Empty for the value itself.</summary>
        public string Path { get; }
        public ChangeKind Kind { get; }
        public object? Before { get; }
        public object? After { get; }
    }

    /// <summary>Structural, per-property comparison of core values (maps by key, sequences by index, scalars by type and value).</summary>
    public static class ValueDiff
    {
        public static IReadOnlyList<ValueChange> Compare(object? before, object? after)
        {
            var changes = new List<ValueChange>();
            Walk("", before, after, changes, 0);
            return changes;
        }

        private static void Walk(string path, object? a, object? b, List<ValueChange> changes, int depth)
        {
            if (a is EngramMap ma && b is EngramMap mb && ma.Kind == mb.Kind && depth < ValueCodec.MaxDepth)
            {
                foreach (var kv in ma)
                {
                    var p = Join(path, kv.Key);
                    if (mb.TryGetValue(kv.Key, out var other)) Walk(p, kv.Value, other, changes, depth + 1);
                    else changes.Add(new ValueChange(p, ChangeKind.Removed, kv.Value, null));
                }
                foreach (var kv in mb)
                    if (!ma.ContainsKey(kv.Key)) changes.Add(new ValueChange(Join(path, kv.Key), ChangeKind.Added, null, kv.Value));
                return;
            }
            if (a is object?[] la && b is object?[] lb && depth < ValueCodec.MaxDepth)
            {
                int n = Math.Max(la.Length, lb.Length);
                for (int i = 0; i < n; i++)
                {
                    var p = path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]";
                    if (i >= la.Length) changes.Add(new ValueChange(p, ChangeKind.Added, null, lb[i]));
                    else if (i >= lb.Length) changes.Add(new ValueChange(p, ChangeKind.Removed, la[i], null));
                    else Walk(p, la[i], lb[i], changes, depth + 1);
                }
                return;
            }
            if (ValueCodec.ContentHash(a) != ValueCodec.ContentHash(b))
                changes.Add(new ValueChange(path, ChangeKind.Modified, a, b));
        }

        private static string Join(string path, string key)
        {
            bool plain = key.Length > 0 && key.All(c => char.IsLetterOrDigit(c) || c == '_' || c == '-');
            var part = plain ? key : "['" + key.Replace("'", "''") + "']";
            return path.Length == 0 ? part : plain ? path + "." + part : path + part;
        }
    }
}
