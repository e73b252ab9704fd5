using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Engram.Core.Values;

namespace Engram.Core.Search
{
    /// <summary>
    /// The searchable text of a memory, and how text is cut into search terms. Every backend indexes the same text:
    /// the file store scans it, the SQL stores put <see cref="FromValue"/> into their full-text column (SQLite FTS5,
    /// PostgreSQL tsvector) and semantic search embeds <see cref="ForEmbedding"/>.
    /// </summary>
    /// <remarks>
    /// <para><see cref="FromValue"/>: every scalar of the value, depth first, one per line: strings as they are, map
    /// keys too (so <c>@{ owner = 'ops' }</c> finds both <c>owner</c> and <c>ops</c>), numbers and booleans in invariant
    /// form (<c>42</c>, <c>3.5</c>, <c>true</c>), dates as <c>yyyy-MM-dd HH:mm:ss</c>, GUIDs as <c>D</c> format.
    /// Null and binary (<c>byte[]</c>) contribute nothing.</para>
    /// <para><see cref="Tokenize"/>: the text is NFKC-normalized and lower-cased (invariant culture); a term is a run
    /// of letters, digits and combining marks in any script (surrogate pairs included); everything else separates
    /// terms, so <c>deploy-target</c> and <c>deploy_target</c> are the terms <c>deploy</c> and <c>target</c>. Diacritics
    /// are kept (<c>café</c> is not <c>cafe</c>); scripts written without spaces (Chinese, Japanese) give one term per
    /// run, found whole or by prefix.</para>
    /// </remarks>
    public static class SearchText
    {
        /// <summary>Longest text <see cref="ForEmbedding"/> returns (characters); longer values are cut there.</summary>
        public const int MaxEmbeddingLength = 8000;

        /// <summary>Longest term kept (characters); longer runs (base64, hashes) are cut to this length.</summary>
        public const int MaxTermLength = 64;

        /// <summary>Every scalar of <paramref name="value"/> (map keys included), one per line; "" for null.</summary>
        public static string FromValue(object? value)
        {
            var sb = new StringBuilder();
            Append(sb, value, 0);
            return sb.ToString();
        }

        /// <summary>What semantic search embeds for a memory: its key, a line break, then <see cref="FromValue"/>,
        /// at most <see cref="MaxEmbeddingLength"/> characters (never splitting a surrogate pair).</summary>
        public static string ForEmbedding(string key, object? value)
        {
            var text = key + "\n" + FromValue(value);
            if (text.Length <= MaxEmbeddingLength) return text.TrimEnd('\n');
            int cut = MaxEmbeddingLength;
            if (char.IsHighSurrogate(text[cut - 1])) cut--;
            return text.Substring(0, cut);
        }

        private static void Append(StringBuilder sb, object? value, int depth)
        {
            if (depth > ValueCodec.MaxDepth) return; // stored values are never deeper; a caller's cyclic object stops here
            switch (value)
            {
                case null: return;
                case byte[] _: return;
                case string s: Line(sb, s); return;
                case bool b: Line(sb, b ? "true" : "false"); return;
                case char c: Line(sb, c.ToString()); return;
                case DateTime dt: Line(sb, dt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)); return;
                case DateTimeOffset dto: Line(sb, dto.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)); return;
                case TimeSpan ts: Line(sb, ts.ToString("c", CultureInfo.InvariantCulture)); return;
                case Guid g: Line(sb, g.ToString("D")); return;
                case double d: Line(sb, d.ToString("R", CultureInfo.InvariantCulture)); return;
                case float f: Line(sb, f.ToString("R", CultureInfo.InvariantCulture)); return;
                case Enum en: Line(sb, en.ToString()); return;
                case EngramMap map:
                    foreach (var kv in map)
                    {
                        Line(sb, kv.Key);
                        Append(sb, kv.Value, depth + 1);
                    }
                    return;
                case IDictionary dict:
                    foreach (DictionaryEntry e in dict)
                    {
                        Append(sb, e.Key, depth + 1);
                        Append(sb, e.Value, depth + 1);
                    }
                    return;
                case IEnumerable seq:
                    foreach (var item in seq) Append(sb, item, depth + 1);
                    return;
                case IFormattable formattable: Line(sb, formattable.ToString(null, CultureInfo.InvariantCulture)); return;
                default: Line(sb, value.ToString() ?? ""); return;
            }
        }

        private static void Line(StringBuilder sb, string s)
        {
            if (s.Length == 0) return;
            sb.Append(s).Append('\n');
        }

        /// <summary>The terms of <paramref name="text"/>, in order, duplicates included (see the remarks on the class).</summary>
        public static List<string> Tokenize(string? text)
        {
            var terms = new List<string>();
            if (string.IsNullOrEmpty(text)) return terms;
            var normalized = Normalize(text!);
            var sb = new StringBuilder();
            for (int i = 0; i < normalized.Length; i++)
            {
                int width = char.IsHighSurrogate(normalized[i]) && i + 1 < normalized.Length && char.IsLowSurrogate(normalized[i + 1]) ? 2 : 1;
                if (IsTermChar(CharUnicodeInfo.GetUnicodeCategory(normalized, i)))
                {
                    if (sb.Length + width <= MaxTermLength) sb.Append(normalized, i, width);
                }
                else if (sb.Length > 0)
                {
                    terms.Add(sb.ToString());
                    sb.Clear();
                }
                i += width - 1;
            }
            if (sb.Length > 0) terms.Add(sb.ToString());
            return terms;
        }

        private static string Normalize(string text)
        {
            string s;
            try { s = text.Normalize(NormalizationForm.FormKC); }
            catch (ArgumentException) { s = text; } // broken UTF-16 (only a caller's query can have it): search it as it is
            return s.ToLowerInvariant();
        }

        private static bool IsTermChar(UnicodeCategory c)
        {
            switch (c)
            {
                case UnicodeCategory.UppercaseLetter:
                case UnicodeCategory.LowercaseLetter:
                case UnicodeCategory.TitlecaseLetter:
                case UnicodeCategory.ModifierLetter:
                case UnicodeCategory.OtherLetter:
                case UnicodeCategory.DecimalDigitNumber:
                case UnicodeCategory.LetterNumber:
                case UnicodeCategory.OtherNumber:
                case UnicodeCategory.NonSpacingMark:
                case UnicodeCategory.SpacingCombiningMark:
                case UnicodeCategory.EnclosingMark:
                    return true;
                default:
                    return false;
            }
        }
    }

    /// <summary>The values of <see cref="SearchHit.MatchedBy"/>.</summary>
    public static class SearchMatch
    {
        /// <summary>Full-text search (the backend's ranking).</summary>
        public const string Text = "text";

        /// <summary>Semantic search (cosine similarity of embeddings).</summary>
        public const string Semantic = "semantic";
    }

    /// <summary>One term of a <see cref="SearchQuery"/>.</summary>
    public sealed class SearchTerm
    {
        public SearchTerm(string text, bool isPrefix)
        {
            Text = text;
            IsPrefix = isPrefix;
        }

        /// <summary>The term, normalized like the indexed text (<see cref="SearchText.Tokenize"/>).</summary>
        public string Text { get; }

        /// <summary>True when the query wrote it with a trailing <c>*</c>: it matches every term that starts with it.</summary>
        public bool IsPrefix { get; }

        public bool Matches(string term) =>
            IsPrefix ? term.StartsWith(Text, StringComparison.Ordinal) : string.Equals(term, Text, StringComparison.Ordinal);

        public override string ToString() => IsPrefix ? Text + "*" : Text;
    }

    /// <summary>
    /// A full-text query: its words, tokenized like the indexed text. Every term must match (AND) in the key or the
    /// value; a word written with a trailing <c>*</c> (<c>deplo*</c>) matches by prefix. Shared by every backend so
    /// the same query means the same thing everywhere.
    /// </summary>
    public sealed class SearchQuery
    {
        private SearchQuery(string text, IReadOnlyList<SearchTerm> terms)
        {
            Text = text;
            Terms = terms;
        }

        /// <summary>The query as given.</summary>
        public string Text { get; }

        /// <summary>Distinct terms, in query order (at least one).</summary>
        public IReadOnlyList<SearchTerm> Terms { get; }

        /// <summary>Parses a query; an empty one, or one without letters or digits, is refused (InvalidSearchQuery).</summary>
        public static SearchQuery Parse(string? query)
        {
            if (query == null || query.Trim().Length == 0)
                throw new EngramException(EngramErrorIds.InvalidSearchQuery, EngramErrorKind.InvalidArgument,
                    "The search query is empty. Give one or more words to look for.", query);
            var terms = new List<SearchTerm>();
            foreach (var word in query.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                bool prefix = word.EndsWith("*", StringComparison.Ordinal);
                var tokens = SearchText.Tokenize(word);
                for (int i = 0; i < tokens.Count; i++)
                {
                    var term = new SearchTerm(tokens[i], prefix && i == tokens.Count - 1);
                    if (!terms.Exists(t => t.Text == term.Text && t.IsPrefix == term.IsPrefix)) terms.Add(term);
                }
            }
            if (terms.Count == 0)
                throw new EngramException(EngramErrorIds.InvalidSearchQuery, EngramErrorKind.InvalidArgument,
                    $"The search query '{query}' has no words to look for (a word is a run of letters or digits).", query);
            return new SearchQuery(query, terms);
        }

        public override string ToString() => string.Join(" ", Terms);
    }
}
