"""The paper's online note classifier (Aggarwal & Parikh 2021, section 3.2) with a width
multiplier: width 1.0 is the paper's network, narrower ones scale every conv and FC layer.

The image is standardised first (instance norm). Two options derive more from the same two
inputs inside the graph, so the model's interface stays the paper's: NotePlanes (the image times
each frame's note) and GreedyScores (the greedy composer's per-note criterion, added to the
logits). The shipped model uses both; NoteClassifier(1.0) without them is the paper's network.
"""

from __future__ import annotations

import torch
from torch import nn

from dance2music.music.online_features import HISTORY, SIZE
from dance2music.music.scale import NUM_NOTES

PAPER_FILTERS = (64, 128, 128, 256, 512, 32)
PAPER_FC = (512, 256, 128)
POOL_AFTER = (0, 2)  # max-pool after the 1st and 3rd conv
EMBEDDING = 16  # the reference: a 6-entry embedding (5 notes + start token) of size 16
LSTM_HIDDEN = 32  # 2-layer bidirectional: a 64-d summary of the note history


def scaled(sizes: tuple[int, ...], width: float) -> list[int]:
    return [max(1, round(s * width)) for s in sizes]


class NotePlanes(nn.Module):
    """Extra image planes computed in the graph from the same two inputs (the model's interface
    stays the paper's): the standardised image times a one-hot plane per note of each column's
    frame, and the row position. A GAP-ended CNN cannot otherwise relate a frame's similarity
    to the note that frame carried; this is the product the correlation is made of."""

    channels = 1 + NUM_NOTES + 1

    def __init__(self, k: int = SIZE // HISTORY):
        super().__init__()
        self.k = k
        self.register_buffer("rows", torch.linspace(-1, 1, SIZE).view(1, 1, SIZE, 1), False)

    def forward(self, image: torch.Tensor, history: torch.Tensor) -> torch.Tensor:
        frames = history.repeat_interleave(self.k, dim=1)  # the note of each of the 60 frames
        onehot = (frames[:, None, :] == torch.arange(NUM_NOTES, device=history.device)[None, :, None])
        columns = onehot.to(image.dtype)[:, :, None, :]  # (B, 5, 1, 60); start token: all 0
        rows = self.rows.expand(image.shape[0], 1, SIZE, SIZE)
        return torch.cat([image, image * columns, rows], dim=1)


class GreedyScores(nn.Module):
    """The local-window correlation each candidate note would reach if the last pose held over
    the coming interval (music.causal.GreedyComposer's criterion), computed in the graph from
    the raw image and history: 5 numbers the head starts from. Frames and notes that do not
    exist yet (zero padding, start tokens) are left out of the Pearson correlation."""

    def __init__(self, k: int = SIZE // HISTORY):
        super().__init__()
        self.k = k
        self.register_buffer("candidates", torch.arange(NUM_NOTES).view(1, NUM_NOTES, 1), False)

    def forward(self, image: torch.Tensor, history: torch.Tensor) -> torch.Tensor:
        k, kept = self.k, SIZE - self.k
        d = image[:, 0]
        past = d[:, k:, k:]  # the window's first 9 notes: the last 54 frames
        last = d[:, -1:, k:]  # the last pose against them
        top = torch.cat([past, last.transpose(1, 2).expand(-1, kept, k)], dim=2)
        bottom = torch.cat([last.expand(-1, k, kept), d[:, -1:, -1:].expand(-1, k, k)], dim=2)
        window = torch.cat([top, bottom], dim=1)[:, None]  # (B, 1, 60, 60)
        batch = history.shape[0]
        notes = torch.cat([history[:, None, 1:].expand(batch, NUM_NOTES, HISTORY - 1),
                           self.candidates.expand(batch, NUM_NOTES, 1)], dim=2)
        frames = notes.repeat_interleave(k, dim=2).to(image.dtype)  # (B, 5, 60)
        valid = (frames < NUM_NOTES).to(image.dtype)
        weight = valid[:, :, :, None] * valid[:, :, None, :]
        music = 1 - (frames[:, :, :, None] - frames[:, :, None, :]).abs() / (NUM_NOTES - 1)
        count = weight.sum(dim=(2, 3))
        mean_d = (weight * window).sum(dim=(2, 3)) / count
        mean_m = (weight * music).sum(dim=(2, 3)) / count
        dd = (window - mean_d[:, :, None, None]) * weight
        dm = (music - mean_m[:, :, None, None]) * weight
        cov = (dd * dm).sum(dim=(2, 3))
        var = (dd * dd).sum(dim=(2, 3)) * (dm * dm).sum(dim=(2, 3))
        return cov / torch.sqrt(var + 1e-12)


class NoteClassifier(nn.Module):
    def __init__(self, width: float = 1.0, dropout: float = 0.5, note_planes: bool = False,
                 greedy_scores: bool = False):
        super().__init__()
        self.width = width
        # The labels maximise a Pearson correlation with D, which no affine change of D alters:
        # standardising the image shows the network the structure, not the (near-1) level.
        self.standardise = nn.InstanceNorm2d(1)
        self.planes = NotePlanes() if note_planes else None
        layers: list[nn.Module] = []
        channels = NotePlanes.channels if note_planes else 1
        for i, filters in enumerate(scaled(PAPER_FILTERS, width)):
            layers += [nn.Conv2d(channels, filters, 3, padding=1), nn.ReLU()]
            if i in POOL_AFTER:
                layers.append(nn.MaxPool2d(2))
            channels = filters
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.dance = nn.Sequential(*layers)
        self.embed = nn.Embedding(NUM_NOTES + 1, EMBEDDING)
        self.notes = nn.LSTM(EMBEDDING, LSTM_HIDDEN, num_layers=2, bidirectional=True,
                             batch_first=True)
        head: list[nn.Module] = []
        self.greedy = GreedyScores() if greedy_scores else None
        self.greedy_gain = nn.Parameter(torch.tensor(2.0)) if greedy_scores else None
        features = channels + 2 * LSTM_HIDDEN + (NUM_NOTES if greedy_scores else 0)
        for i, size in enumerate(scaled(PAPER_FC, width)):
            head += [nn.Linear(features, size), nn.ReLU()]
            if i == 0:
                head.append(nn.Dropout(dropout))
            features = size
        head.append(nn.Linear(features, NUM_NOTES))
        self.head = nn.Sequential(*head)

    def forward(self, image: torch.Tensor, history: torch.Tensor) -> torch.Tensor:
        """image (B, 1, SIZE, SIZE) float, history (B, HISTORY) int64 -> (B, 5) logits."""
        notes, _ = self.notes(self.embed(history))
        summary = [notes[:, -1]]
        if self.greedy is not None:
            # Scores differ by hundredths: compared per decision, they also reach the logits
            # directly, so training starts from the greedy choice and learns corrections.
            scores = self.greedy(image, history)
            scores = (scores - scores.mean(1, keepdim=True)) / (scores.std(1, keepdim=True) + 1e-3)
            summary.append(scores)
        image = self.standardise(image)
        if self.planes is not None:
            image = self.planes(image, history)
        logits = self.head(torch.cat([self.dance(image)] + summary, dim=1))
        return logits if self.greedy is None else logits + self.greedy_gain * scores


def count_macs(model: NoteClassifier) -> int:
    """Multiply-accumulates of one decision (conv, LSTM, linear layers and the extra planes and
    scores; pooling, normalisation and activations are not counted)."""
    macs = 0
    side = SIZE
    for layer in model.dance:
        if isinstance(layer, nn.Conv2d):
            macs += layer.in_channels * layer.out_channels * 9 * side * side
        elif isinstance(layer, nn.MaxPool2d):
            side //= 2
    lstm = model.notes
    for layer in range(lstm.num_layers):
        inputs = lstm.input_size if layer == 0 else 2 * lstm.hidden_size
        macs += 2 * HISTORY * 4 * lstm.hidden_size * (inputs + lstm.hidden_size)
    macs += sum(m.in_features * m.out_features for m in model.head if isinstance(m, nn.Linear))
    if model.planes is not None:
        macs += NUM_NOTES * SIZE * SIZE  # image x note planes
    if model.greedy is not None:
        macs += 4 * NUM_NOTES * SIZE * SIZE  # weighted sums, covariance and variances
    return macs
