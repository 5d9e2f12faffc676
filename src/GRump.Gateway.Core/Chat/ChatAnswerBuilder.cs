using System.Text;

namespace GRump.Gateway.Chat;

/// <summary>Accumulates an answer's deltas: the text, the reasoning, and each tool call assembled from its pieces.</summary>
public sealed class ChatAnswerBuilder
{
    private readonly StringBuilder _text = new();
    private readonly StringBuilder _reasoning = new();
    private readonly List<(string Id, string Name, StringBuilder Arguments)> _toolCalls = [];
    private string _singleText = string.Empty;
    private int _textDeltas;
    private string _signature = string.Empty;

    public void Add(ChatEvent item)
    {
        switch (item)
        {
            case TextDelta text:
                // The common unary answer is one delta: keep its string instead of copying it.
                if (_textDeltas++ == 0)
                {
                    _singleText = text.Text;
                }
                else
                {
                    if (_textDeltas == 2)
                    {
                        _text.Append(_singleText);
                    }

                    _text.Append(text.Text);
                }

                break;
            case ReasoningDelta reasoning:
                _reasoning.Append(reasoning.Text);
                if (reasoning.Signature.Length > 0)
                {
                    _signature = reasoning.Signature;
                }

                break;
            case ToolCallDelta call:
                while (_toolCalls.Count <= call.Index)
                {
                    _toolCalls.Add((string.Empty, string.Empty, new StringBuilder()));
                }

                var (id, name, arguments) = _toolCalls[call.Index];
                _toolCalls[call.Index] = (call.Id.Length > 0 ? call.Id : id, call.Name.Length > 0 ? call.Name : name, arguments.Append(call.Arguments));
                break;
            default:
                break;
        }
    }

    public string Text => _textDeltas <= 1 ? _singleText : _text.ToString();

    public string Reasoning => _reasoning.ToString();

    /// <summary>The tool calls assembled so far, in index order.</summary>
    public ToolCall[] ToolCalls
    {
        get
        {
            var calls = new ToolCall[_toolCalls.Count];
            for (var i = 0; i < calls.Length; i++)
            {
                var (callId, name, arguments) = _toolCalls[i];
                calls[i] = new ToolCall(callId, name, arguments.ToString());
            }

            return calls;
        }
    }

    public ChatResult ToResult(string id, string finishReason, ChatOutcome outcome) =>
        new(id, Text, finishReason, outcome)
        {
            ToolCalls = ToolCalls,
            Reasoning = Reasoning,
            ReasoningSignature = _signature,
        };
}
