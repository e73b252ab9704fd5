using System.Collections;
using System.Text;
using Engram.Core.Values;

namespace Engram.Storage.Sql
{
    // TEMPORARY until Engram.Core's shared search text lands.
    internal static class SearchText
    {
        public static string Of(object? value)
        {
            var sb = new StringBuilder();
            void Walk(object? v)
            {
                switch (v)
                {
                    case null: return;
                    case string s: sb.Append(s).Append('\n'); return;
                    case EngramMap m: foreach (var kv in m) { sb.Append(kv.Key).Append(' '); Walk(kv.Value); } return;
                    case IEnumerable e when !(v is byte[]): foreach (var x in e) Walk(x); return;
                    default: sb.Append(System.Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)).Append('\n'); return;
                }
            }
            Walk(value);
            return sb.ToString();
        }

        public static string KeyText(string key) => key.Replace('-', ' ').Replace('_', ' ').Replace('/', ' ').Replace('.', ' ');
    }
}
