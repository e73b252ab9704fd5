using System.Collections;
using System.Globalization;
using System.Management.Automation;
using Engram.Core;

namespace Engram.PowerShell
{
    /// <summary>Turns what a user passes as a memory reference into a <see cref="MemoryRef"/>: a string
    /// <c>ns/key</c> or <c>ns/key@version</c>, a memory or provenance object (pinned to its Version), or a hashtable
    /// with Namespace, Key and optionally Version and Branch.</summary>
    internal static class MemoryRefConverter
    {
        public static MemoryRef Convert(object? value)
        {
            if (value is PSObject pso && !(pso.BaseObject is PSCustomObject)) value = pso.BaseObject;
            switch (value)
            {
                case string s: return MemoryRef.Parse(s);
                case EngramMemory m: return new MemoryRef(m.Namespace, m.Key, m.Version, m.Branch);
                case EngramProvenanceEntry e: return new MemoryRef(e.Namespace, e.Key, e.Version, e.Branch);
                case EngramSource s: return new MemoryRef(s.Namespace, s.Key, s.Version, s.Branch);
                case IDictionary d: return new MemoryRef(Str(d["Namespace"]), Str(d["Key"]), Int(d["Version"]), d["Branch"] as string);
                case PSObject o:
                    return new MemoryRef(Str(o.Properties["Namespace"]?.Value), Str(o.Properties["Key"]?.Value),
                        Int(o.Properties["Version"]?.Value), o.Properties["Branch"]?.Value as string);
                default:
                    throw new EngramException(EngramErrorIds.InvalidKey, EngramErrorKind.InvalidArgument,
                        $"'{value}' is not a memory reference: use 'namespace/key', 'namespace/key@version', a memory object or @{{Namespace=..; Key=..}}.", value);
            }
        }

        private static string Str(object? o) =>
            (o is PSObject p ? p.BaseObject : o) as string ?? throw new EngramException(EngramErrorIds.InvalidKey, EngramErrorKind.InvalidArgument,
                "A memory reference needs a Namespace and a Key.", o);

        private static int? Int(object? o)
        {
            if (o is PSObject p) o = p.BaseObject;
            return o == null ? (int?)null : System.Convert.ToInt32(o, CultureInfo.InvariantCulture);
        }
    }
}
