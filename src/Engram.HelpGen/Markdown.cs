using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace Engram.HelpGen
{
    /// <summary>A problem in a help source, reported MSBuild-style (file(line): error CODE: message).</summary>
    public sealed class HelpError
    {
        public HelpError(string code, string message, string? file = null, int line = 0)
        {
            Code = code;
            Message = message;
            File = file;
            Line = line;
        }

        public string Code { get; }
        public string Message { get; }
        public string? File { get; }
        public int Line { get; }

        public override string ToString()
        {
            var where = File == null ? "Engram.HelpGen" : Line > 0 ? $"{File}({Line})" : File;
            return $"{where}: error {Code}: {Message}";
        }
    }

    /// <summary>A line of a markdown file with its 1-based number.</summary>
    public readonly struct SourceLine
    {
        public SourceLine(int number, string text)
        {
            Number = number;
            Text = text;
        }

        public int Number { get; }
        public string Text { get; }
    }

    /// <summary>A heading and the lines under it (up to the next heading of the same or a higher level).</summary>
    public sealed class Section
    {
        public Section(int level, string title, int line)
        {
            Level = level;
            Title = title;
            Line = line;
        }

        public int Level { get; }
        public string Title { get; }
        public int Line { get; }
        /// <summary>Lines between this heading and its first sub-heading.</summary>
        public List<SourceLine> Body { get; } = new List<SourceLine>();
        public List<Section> Children { get; } = new List<Section>();
    }

    /// <summary>One block of body text.</summary>
    public sealed class Block
    {
        public Block(BlockKind kind, string text, int line, string? language = null)
        {
            Kind = kind;
            Text = text;
            Line = line;
            Language = language;
        }

        public BlockKind Kind { get; }
        /// <summary>Paragraph: the lines joined by spaces. List: one item per line. Code/Table: verbatim.</summary>
        public string Text { get; }
        public int Line { get; }
        /// <summary>The info string of a fenced code block (powershell, output, ...), lower-case.</summary>
        public string? Language { get; }
    }

    public enum BlockKind { Paragraph, List, Code, Table }

    /// <summary>
    /// Just enough markdown for help sources: ATX headings (#, ##, ###) outside fenced code, paragraphs, lists,
    /// tables and fenced code blocks. Inline markup is kept as written, except links, which become their text, and code
    /// spans, which lose their backticks (see <see cref="Inline"/>).
    /// </summary>
    public static class Markdown
    {
        private static readonly Regex Heading = new Regex(@"^(#{1,6})\s+(.*?)\s*#*\s*$", RegexOptions.CultureInvariant);
        private static readonly Regex Fence = new Regex(@"^\s*(```+|~~~+)\s*([A-Za-z0-9_+-]*)", RegexOptions.CultureInvariant);
        private static readonly Regex ListItem = new Regex(@"^\s*([-*+]|\d+[.)])\s+", RegexOptions.CultureInvariant);
        private static readonly Regex Link = new Regex(@"\[([^\]]+)\]\(([^)\s]+)\)", RegexOptions.CultureInvariant);

        /// <summary>Reads a file into a root section (level 0) holding its heading tree.</summary>
        public static Section Parse(string path)
        {
            var text = File.ReadAllText(path, Encoding.UTF8);
            return ParseText(text);
        }

        public static Section ParseText(string text)
        {
            var lines = text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
            var root = new Section(0, "", 0);
            var stack = new Stack<Section>();
            stack.Push(root);
            string? fence = null;
            for (int i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                var f = Fence.Match(line);
                if (fence == null && f.Success) fence = f.Groups[1].Value.Substring(0, 3);
                else if (fence != null && f.Success && line.Trim().StartsWith(fence, StringComparison.Ordinal) && line.Trim().Trim(fence[0]).Length == 0) fence = null;
                else if (fence == null)
                {
                    var h = Heading.Match(line);
                    if (h.Success)
                    {
                        int level = h.Groups[1].Value.Length;
                        while (stack.Peek().Level >= level) stack.Pop();
                        var section = new Section(level, h.Groups[2].Value.Trim(), i + 1);
                        stack.Peek().Children.Add(section);
                        stack.Push(section);
                        continue;
                    }
                }
                stack.Peek().Body.Add(new SourceLine(i + 1, line));
            }
            return root;
        }

        /// <summary>Splits body lines into blocks. Unclosed fences run to the end of the body.</summary>
        public static List<Block> Blocks(IReadOnlyList<SourceLine> body)
        {
            var blocks = new List<Block>();
            int i = 0;
            while (i < body.Count)
            {
                var line = body[i].Text;
                if (line.Trim().Length == 0) { i++; continue; }
                int start = body[i].Number;

                var f = Fence.Match(line);
                if (f.Success)
                {
                    var marker = f.Groups[1].Value.Substring(0, 3);
                    var lang = f.Groups[2].Value.ToLowerInvariant();
                    int indent = line.Length - line.TrimStart().Length;
                    var code = new List<string>();
                    i++;
                    while (i < body.Count && !(body[i].Text.Trim().StartsWith(marker, StringComparison.Ordinal) && body[i].Text.Trim().Trim(marker[0]).Length == 0))
                    {
                        var t = body[i].Text;
                        int strip = Math.Min(indent, t.Length - t.TrimStart().Length);
                        code.Add(t.Substring(strip).TrimEnd());
                        i++;
                    }
                    i++; // closing fence
                    while (code.Count > 0 && code[code.Count - 1].Length == 0) code.RemoveAt(code.Count - 1);
                    blocks.Add(new Block(BlockKind.Code, string.Join("\n", code), start, lang));
                    continue;
                }

                if (line.TrimStart().StartsWith('|'))
                {
                    var rows = new List<string>();
                    while (i < body.Count && body[i].Text.TrimStart().StartsWith('|'))
                    {
                        rows.Add(Inline(body[i].Text.Trim()));
                        i++;
                    }
                    blocks.Add(new Block(BlockKind.Table, FormatTable(rows), start));
                    continue;
                }

                if (ListItem.IsMatch(line))
                {
                    var items = new List<string>();
                    while (i < body.Count && body[i].Text.Trim().Length > 0 && !Fence.IsMatch(body[i].Text))
                    {
                        var t = body[i].Text;
                        var m = ListItem.Match(t);
                        if (m.Success && (t.Length - t.TrimStart().Length) <= 1)
                            items.Add(m.Groups[1].Value + " " + t.Substring(m.Length).Trim());
                        else if (items.Count > 0)
                            items[items.Count - 1] += " " + t.Trim();
                        i++;
                    }
                    blocks.Add(new Block(BlockKind.List, string.Join("\n", items.Select(Inline)), start));
                    continue;
                }

                var words = new List<string>();
                while (i < body.Count && body[i].Text.Trim().Length > 0 && !Fence.IsMatch(body[i].Text)
                       && !ListItem.IsMatch(body[i].Text) && !body[i].Text.TrimStart().StartsWith('|'))
                {
                    words.Add(body[i].Text.Trim());
                    i++;
                }
                blocks.Add(new Block(BlockKind.Paragraph, Inline(string.Join(" ", words)), start));
            }
            return blocks;
        }

        /// <summary>A pipe table as aligned plain-text columns (the |---| separator row becomes dashes).</summary>
        public static string FormatTable(IReadOnlyList<string> rows)
        {
            var cells = rows.Select(r => r.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray()).ToList();
            bool IsSeparator(string[] row) => row.All(c => c.Length > 0 && c.Trim(':', '-').Length == 0);
            int columns = cells.Max(r => r.Length);
            var widths = new int[columns];
            foreach (var row in cells.Where(r => !IsSeparator(r)))
                for (int i = 0; i < row.Length; i++) widths[i] = Math.Max(widths[i], row[i].Length);
            var lines = cells.Select(row => IsSeparator(row)
                ? string.Join("  ", widths.Select(w => new string('-', w)))
                : string.Join("  ", Enumerable.Range(0, columns).Select(i => (i < row.Length ? row[i] : "").PadRight(widths[i]))).TrimEnd());
            return string.Join("\n", lines);
        }

        /// <summary>Inline markup for plain-text help: [text](url) becomes text, or "text (url)" for web links, and a
        /// code span loses its backticks (`-Key` becomes -Key: Get-Help shows plain text, where a backtick is
        /// PowerShell's escape character, not markup).</summary>
        public static string Inline(string text) =>
            CodeSpan.Replace(Link.Replace(text, m => m.Groups[2].Value.StartsWith("http", StringComparison.OrdinalIgnoreCase)
                ? m.Groups[1].Value + " (" + m.Groups[2].Value + ")"
                : m.Groups[1].Value), m => m.Groups[2].Value.Trim());

        // A CommonMark code span: a run of backticks, the code, the same run (`` a ` b `` keeps the inner backtick).
        private static readonly Regex CodeSpan =
            new Regex(@"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", RegexOptions.CultureInvariant);

        /// <summary>[text](url) parts of a related-links item; url is null for a plain item.</summary>
        public static (string Text, string? Uri) LinkParts(string item)
        {
            var m = Link.Match(item);
            if (!m.Success) return (item.Trim(), null);
            return (m.Groups[1].Value.Trim(), m.Groups[2].Value.Trim());
        }
    }
}
