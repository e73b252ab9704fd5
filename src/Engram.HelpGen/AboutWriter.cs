using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace Engram.HelpGen
{
    /// <summary>
    /// docs/about_&lt;Topic&gt;.md → &lt;out&gt;/about_&lt;Topic&gt;.help.txt, the classic conceptual-help layout:
    /// TOPIC, SHORT DESCRIPTION (its text on line 5, where Get-Help reads the synopsis), LONG DESCRIPTION, then any
    /// further '## SECTION'. '### Title' becomes an indented sub-heading; text is wrapped at 80 columns.
    /// </summary>
    public static class AboutWriter
    {
        private const int Width = 80;

        /// <summary>Returns (topic name, text), or null after adding errors.</summary>
        public static (string Topic, string Text)? Convert(string path, List<HelpError> errors)
        {
            var file = Path.GetFullPath(path);
            var root = Markdown.Parse(file);
            int before = errors.Count;
            if (root.Children.Count != 1 || root.Children[0].Level != 1 || !root.Children[0].Title.StartsWith("about_", StringComparison.Ordinal))
            {
                errors.Add(new HelpError("EHG011", "an about topic has exactly one top-level heading, '# about_<Topic>'.", file, root.Children.FirstOrDefault()?.Line ?? 1));
                return null;
            }
            var top = root.Children[0];
            var topic = top.Title;
            var expected = Path.GetFileNameWithoutExtension(file);
            if (!string.Equals(topic, expected, StringComparison.Ordinal))
                errors.Add(new HelpError("EHG011", $"the title '# {topic}' must match the file name ('# {expected}').", file, top.Line));

            var shortSection = top.Children.FirstOrDefault(c => c.Title == "SHORT DESCRIPTION");
            var longSection = top.Children.FirstOrDefault(c => c.Title == "LONG DESCRIPTION");
            if (shortSection == null || longSection == null || top.Children.IndexOf(shortSection) != 0 || top.Children.IndexOf(longSection) != 1)
                errors.Add(new HelpError("EHG011", "an about topic starts with '## SHORT DESCRIPTION', then '## LONG DESCRIPTION'.", file, top.Line));
            var shortBlocks = shortSection == null ? new List<Block>() : Markdown.Blocks(shortSection.Body);
            if (shortSection != null && (shortBlocks.Count != 1 || shortBlocks[0].Kind != BlockKind.Paragraph || shortSection.Children.Count > 0))
                errors.Add(new HelpError("EHG011", "the SHORT DESCRIPTION is one paragraph (Get-Help shows it as the topic's synopsis).", file, shortSection.Line));
#pragma warning disable CA1862 // not a case-insensitive comparison: "is the title all capitals"
            foreach (var s in top.Children.Where(c => c.Title != c.Title.ToUpperInvariant()))
#pragma warning restore CA1862
                errors.Add(new HelpError("EHG011", $"top sections are upper case ('## {s.Title.ToUpperInvariant()}').", file, s.Line));
            if (errors.Count > before) return null;

            var sb = new StringBuilder();
            sb.Append("TOPIC\n    ").Append(topic).Append("\n\n");
            sb.Append("SHORT DESCRIPTION\n    ").Append(shortBlocks[0].Text).Append("\n\n");
            foreach (var s in top.Children.Skip(1))
            {
                sb.Append(s.Title).Append('\n');
                WriteBody(sb, s, 4);
            }
            return (topic, sb.ToString().TrimEnd('\n') + "\n");
        }

        private static void WriteBody(StringBuilder sb, Section s, int indent)
        {
            foreach (var b in Markdown.Blocks(s.Body))
            {
                WriteBlock(sb, b, indent);
                sb.Append('\n');
            }
            if (s.Body.All(l => l.Text.Trim().Length == 0) && s.Children.Count == 0) sb.Append('\n');
            foreach (var c in s.Children)
            {
                sb.Append(new string(' ', Math.Max(0, indent - 2))).Append(c.Title).Append('\n');
                WriteBody(sb, c, indent);
            }
        }

        private static void WriteBlock(StringBuilder sb, Block b, int indent)
        {
            var pad = new string(' ', indent);
            switch (b.Kind)
            {
                case BlockKind.Code:
                    foreach (var line in b.Text.Split('\n')) sb.Append(line.Length == 0 ? "" : pad + "    " + line).Append('\n');
                    break;
                case BlockKind.Table:
                    foreach (var line in b.Text.Split('\n')) sb.Append(pad).Append(line).Append('\n');
                    break;
                case BlockKind.List:
                    foreach (var item in b.Text.Split('\n'))
                    {
                        int space = item.IndexOf(' ');
                        var marker = item.Substring(0, space + 1);
                        Wrap(sb, item.Substring(space + 1), pad + marker, pad + new string(' ', marker.Length));
                    }
                    break;
                default:
                    Wrap(sb, b.Text, pad, pad);
                    break;
            }
        }

        private static void Wrap(StringBuilder sb, string text, string firstPrefix, string prefix)
        {
            var line = new StringBuilder(firstPrefix);
            bool empty = true;
            foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!empty && line.Length + 1 + word.Length > Width)
                {
                    sb.Append(line.ToString().TrimEnd()).Append('\n');
                    line.Clear().Append(prefix);
                    empty = true;
                }
                if (!empty) line.Append(' ');
                line.Append(word);
                empty = false;
            }
            sb.Append(line.ToString().TrimEnd()).Append('\n');
        }
    }
}
