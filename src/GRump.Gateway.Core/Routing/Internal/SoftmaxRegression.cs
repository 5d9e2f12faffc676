using System.Numerics.Tensors;

namespace GRump.Gateway.Routing.Internal;

/// <summary>
/// Multinomial logistic regression (softmax) with L2 regularisation, trained in-process from the exemplars: features
/// standardised, weights from zero, full-batch Adam for a fixed number of steps — deterministic, a fraction of a second
/// for a few hundred exemplars × a few hundred features. Small on purpose: a few hundred labelled prompts support a
/// linear model, not more.
/// </summary>
internal sealed class SoftmaxRegression
{
    private readonly int _classes;
    private readonly int _dimensions;
    private readonly float[] _mean;
    private readonly float[] _inverseScale;
    private readonly float[] _weights;
    private readonly float[] _bias;

    private SoftmaxRegression(int classes, int dimensions, float[] mean, float[] inverseScale, float[] weights, float[] bias)
    {
        _classes = classes;
        _dimensions = dimensions;
        _mean = mean;
        _inverseScale = inverseScale;
        _weights = weights;
        _bias = bias;
    }

    public int Dimensions => _dimensions;

    /// <summary>
    /// Fits <paramref name="x"/> (rows of equal length) to labels <paramref name="y"/> in [0, <paramref name="classes"/>).
    /// <paramref name="l2"/> is the penalty on the weights (not the biases); <paramref name="classWeights"/> weigh each
    /// class's examples in the loss (null = 1).
    /// </summary>
    public static SoftmaxRegression Fit(IReadOnlyList<float[]> x, IReadOnlyList<int> y, int classes, float l2, int steps, float[]? classWeights = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count == 0 || x.Count != y.Count)
        {
            throw new ArgumentException("Needs at least one example and one label per example.", nameof(x));
        }

        var n = x.Count;
        var d = x[0].Length;
        var mean = new float[d];
        var inverseScale = new float[d];
        foreach (var row in x)
        {
            TensorPrimitives.Add(mean, row, mean);
        }

        TensorPrimitives.Divide(mean, n, mean);
        var variance = new float[d];
        var centred = new float[n][];
        for (var i = 0; i < n; i++)
        {
            centred[i] = new float[d];
            TensorPrimitives.Subtract(x[i], mean, centred[i]);
            TensorPrimitives.MultiplyAdd(centred[i], centred[i], variance, variance);
        }

        for (var j = 0; j < d; j++)
        {
            var sd = MathF.Sqrt(variance[j] / n);
            inverseScale[j] = sd > 1e-6f ? 1 / sd : 0;
        }

        foreach (var row in centred)
        {
            TensorPrimitives.Multiply(row, inverseScale, row);
        }

        var exampleWeight = new float[n];
        var weightSum = 0f;
        for (var i = 0; i < n; i++)
        {
            exampleWeight[i] = classWeights is null ? 1 : classWeights[y[i]];
            weightSum += exampleWeight[i];
        }

        var weights = new float[classes * d];
        var bias = new float[classes];
        var gradW = new float[classes * d];
        var gradB = new float[classes];
        var m = new float[classes * d + classes];
        var v = new float[classes * d + classes];
        var logits = new float[classes];
        const float rate = 0.05f, beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;
        for (var step = 1; step <= steps; step++)
        {
            Array.Clear(gradW);
            Array.Clear(gradB);
            for (var i = 0; i < n; i++)
            {
                Probabilities(centred[i], weights, bias, classes, d, logits);
                for (var c = 0; c < classes; c++)
                {
                    var error = (logits[c] - (y[i] == c ? 1 : 0)) * exampleWeight[i] / weightSum;
                    gradB[c] += error;
                    TensorPrimitives.MultiplyAdd(centred[i], error, gradW.AsSpan(c * d, d), gradW.AsSpan(c * d, d));
                }
            }

            TensorPrimitives.MultiplyAdd(weights, l2, gradW, gradW);
            var correction1 = 1 - MathF.Pow(beta1, step);
            var correction2 = 1 - MathF.Pow(beta2, step);
            for (var k = 0; k < weights.Length + classes; k++)
            {
                var g = k < weights.Length ? gradW[k] : gradB[k - weights.Length];
                m[k] = beta1 * m[k] + (1 - beta1) * g;
                v[k] = beta2 * v[k] + (1 - beta2) * g * g;
                var delta = rate * (m[k] / correction1) / (MathF.Sqrt(v[k] / correction2) + epsilon);
                if (k < weights.Length)
                {
                    weights[k] -= delta;
                }
                else
                {
                    bias[k - weights.Length] -= delta;
                }
            }
        }

        return new SoftmaxRegression(classes, d, mean, inverseScale, weights, bias);
    }

    /// <summary>Class probabilities of one example.</summary>
    public void Predict(ReadOnlySpan<float> features, Span<float> probabilities)
    {
        if (features.Length != _dimensions || probabilities.Length < _classes)
        {
            throw new ArgumentException($"Needs {_dimensions} features and room for {_classes} probabilities.", nameof(features));
        }

        Span<float> scaled = _dimensions <= 1024 ? stackalloc float[_dimensions] : new float[_dimensions];
        TensorPrimitives.Subtract(features, _mean, scaled);
        TensorPrimitives.Multiply(scaled, _inverseScale, scaled);
        Probabilities(scaled, _weights, _bias, _classes, _dimensions, probabilities);
    }

    private static void Probabilities(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, int classes, int d, Span<float> output)
    {
        var max = float.NegativeInfinity;
        for (var c = 0; c < classes; c++)
        {
            output[c] = TensorPrimitives.Dot(x, weights.Slice(c * d, d)) + bias[c];
            max = MathF.Max(max, output[c]);
        }

        var sum = 0f;
        for (var c = 0; c < classes; c++)
        {
            output[c] = MathF.Exp(output[c] - max);
            sum += output[c];
        }

        for (var c = 0; c < classes; c++)
        {
            output[c] /= sum;
        }
    }
}
