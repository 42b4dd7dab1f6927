namespace Rnn.Models;

/// <summary>What <see cref="Sequential"/>.<c>Fit</c> does when a batch's loss is NaN or infinite.</summary>
public enum NonFiniteLoss
{
    /// <summary>Throw <see cref="TrainingDivergedException"/> before that batch changes any weight (the default).</summary>
    Throw,

    /// <summary>Stop training quietly before that batch changes any weight, like Keras's <c>TerminateOnNaN</c>.</summary>
    Stop,

    /// <summary>Carry on: the caller takes responsibility for the weights.</summary>
    Continue,
}

/// <summary>Training produced a NaN or infinite loss; the batch that did was not applied.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException()
        : base("Training diverged: the loss is not finite.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public TrainingDivergedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public TrainingDivergedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a batch.</summary>
    /// <param name="epoch">The epoch, from 1 as displayed.</param>
    /// <param name="batch">The batch within the epoch, from 1 as displayed.</param>
    /// <param name="loss">The loss value.</param>
    internal TrainingDivergedException(int epoch, int batch, float loss)
        : base(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"Training diverged: the loss is {loss} at epoch {epoch}, batch {batch}; that batch was not applied. Lower the learning rate, clip gradients (Optimizer.GlobalClipNorm), check the data for NaN or infinite values, or pass onNonFiniteLoss to Fit."))
    {
        Epoch = epoch;
        Batch = batch;
        Loss = loss;
    }

    /// <summary>The epoch, from 1.</summary>
    public int Epoch { get; }

    /// <summary>The batch within the epoch, from 1.</summary>
    public int Batch { get; }

    /// <summary>The loss value.</summary>
    public float Loss { get; }
}
