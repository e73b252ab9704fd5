using System;
using System.Globalization;

namespace Engram.Core
{
    /// <summary>A reference to a memory, optionally pinned to a version: <c>namespace/key</c> or <c>namespace/key@3</c>.</summary>
    public sealed class MemoryRef
    {
        public MemoryRef(string ns, string key, int? version = null, string? branch = null)
        {
            Namespace = Names.NormalizeNamespace(ns);
            Names.ValidateKey(key);
            Key = key;
            Version = version;
            Branch = Names.NormalizeBranch(branch);
        }

        public string Namespace { get; }
        public string Key { get; }
        public int? Version { get; }
        public string Branch { get; }

        /// <summary>Parses <c>ns/key</c> or <c>ns/key@version</c> (the namespace ends at the first '/'; a trailing
        /// <c>@digits</c> is the version).</summary>
        public static MemoryRef Parse(string text)
        {
            var slash = text?.IndexOf('/') ?? -1;
            if (text == null || slash <= 0 || slash == text.Length - 1)
                throw new EngramException(EngramErrorIds.InvalidKey, EngramErrorKind.InvalidArgument,
                    $"'{text}' is not a memory reference: use namespace/key or namespace/key@version.", text);
            var ns = text.Substring(0, slash);
            var rest = text.Substring(slash + 1);
            int? version = null;
            var at = rest.LastIndexOf('@');
            if (at > 0 && at < rest.Length - 1 && int.TryParse(rest.Substring(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0)
            {
                version = v;
                rest = rest.Substring(0, at);
            }
            return new MemoryRef(ns, rest, version);
        }

        public override string ToString() => Namespace + "/" + Key + (Version.HasValue ? "@" + Version.Value.ToString(CultureInfo.InvariantCulture) : "");
    }

    public enum LineageDirection { Up, Down, Both }

    /// <summary>One edge of a lineage graph: <see cref="Namespace"/>/<see cref="Key"/> v<see cref="Version"/> was derived
    /// from <see cref="SourceNamespace"/>/<see cref="SourceKey"/> v<see cref="SourceVersion"/>.</summary>
    public sealed class LineageLink
    {
        internal LineageLink(LineageDirection direction, int depth, string ns, string key, int version, string sourceNs, string sourceKey, int sourceVersion,
            string action, string actor, DateTime timestampUtc, double? confidence, string? reason, long seq)
        {
            Direction = direction;
            Depth = depth;
            Namespace = ns;
            Key = key;
            Version = version;
            SourceNamespace = sourceNs;
            SourceKey = sourceKey;
            SourceVersion = sourceVersion;
            Action = action;
            Actor = actor;
            TimestampUtc = timestampUtc;
            Confidence = confidence;
            Reason = reason;
            Seq = seq;
        }

        /// <summary>Up: found walking towards sources; Down: walking towards what was derived.</summary>
        public LineageDirection Direction { get; }
        /// <summary>1 for direct sources (or direct descendants), 2 for theirs, …</summary>
        public int Depth { get; }
        public string Namespace { get; }
        public string Key { get; }
        public int Version { get; }
        public string SourceNamespace { get; }
        public string SourceKey { get; }
        public int SourceVersion { get; }
        public string Action { get; }
        public string Actor { get; }
        public DateTime TimestampUtc { get; }
        public double? Confidence { get; }
        public string? Reason { get; }
        /// <summary>The derived memory's history entry that records the link.</summary>
        public long Seq { get; }
    }
}
