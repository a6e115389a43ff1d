"""The paper's online note classifier (Aggarwal & Parikh 2021, section 3.2) with a width
multiplier: width 1.0 is the paper's network, narrower ones scale every conv and FC layer.

Beside the paper's two inputs (similarity image, note history) it takes the lookahead d (frames
of the coming interval seen, the last of them held in the image for the rest; online_features),
embedded into the head, so one model serves several lookaheads. The image is standardised first
(instance norm). Two options: NotePlanes derives more from the same inputs inside the graph (the
image times each frame's note, and which frames were seen); `greedy_prior` takes a fourth input,
the greedy composer's per-note criterion over its longer window (online_features), fed to the
head and added to the logits. The shipped model uses both; NoteClassifier(1.0) without them is
the paper's network (plus the lookahead embedding).
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
K = SIZE // HISTORY  # frames per note
LOOKAHEAD_EMBEDDING = 4  # d in 0..K


def scaled(sizes: tuple[int, ...], width: float) -> list[int]:
    return [max(1, round(s * width)) for s in sizes]


def window_notes(history: torch.Tensor, no_note: torch.Tensor, k: int = K) -> torch.Tensor:
    """The note of each of the image's frames, (B, SIZE): the last HISTORY-1 notes, then
    `no_note` (1, 1) for the coming interval, not decided yet."""
    fill = no_note.expand(history.shape[0], -1)
    return torch.cat([history[:, 1:], fill], dim=1).repeat_interleave(k, dim=1)


class NotePlanes(nn.Module):
    """Extra image planes computed in the graph from the inputs: the standardised image times a
    one-hot plane per note of each column's frame (the coming interval has none yet), a plane
    marking the columns of frames really seen (not held), and the row position. A GAP-ended CNN
    cannot otherwise relate a frame's similarity to the note that frame carried; this is the
    product the correlation is made of."""

    channels = 1 + NUM_NOTES + 2

    def __init__(self, k: int = K):
        super().__init__()
        self.k = k
        self.register_buffer("rows", torch.linspace(-1, 1, SIZE).view(1, 1, SIZE, 1), False)
        self.register_buffer("columns", torch.arange(SIZE).view(1, 1, 1, SIZE), False)
        self.register_buffer("no_note", torch.full((1, 1), NUM_NOTES), False)

    def forward(self, image: torch.Tensor, history: torch.Tensor, lookahead: torch.Tensor
                ) -> torch.Tensor:
        frames = window_notes(history, self.no_note, self.k)  # (B, 60); START/none: all 0
        onehot = frames[:, None, :] == torch.arange(NUM_NOTES, device=history.device)[None, :, None]
        notes = onehot.to(image.dtype)[:, :, None, :]  # (B, 5, 1, 60)
        seen = (self.columns < SIZE - self.k + lookahead.view(-1, 1, 1, 1)).to(image.dtype)
        shape = (image.shape[0], 1, SIZE, SIZE)
        return torch.cat([image, image * notes, seen.expand(shape), self.rows.expand(shape)], dim=1)


class NoteClassifier(nn.Module):
    def __init__(self, width: float = 1.0, dropout: float = 0.5, note_planes: bool = False,
                 greedy_prior: bool = False):
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
        self.greedy_prior = greedy_prior
        self.greedy_gain = nn.Parameter(torch.tensor(2.0)) if greedy_prior else None
        self.lookahead = nn.Embedding(K + 1, LOOKAHEAD_EMBEDDING)
        features = (channels + 2 * LSTM_HIDDEN + LOOKAHEAD_EMBEDDING
                    + (NUM_NOTES if greedy_prior else 0))
        for i, size in enumerate(scaled(PAPER_FC, width)):
            head += [nn.Linear(features, size), nn.ReLU()]
            if i == 0:
                head.append(nn.Dropout(dropout))
            features = size
        head.append(nn.Linear(features, NUM_NOTES))
        self.head = nn.Sequential(*head)

    @property
    def input_names(self) -> list[str]:
        return ["image", "history", "lookahead"] + (["prior"] if self.greedy_prior else [])

    def forward(self, image: torch.Tensor, history: torch.Tensor, lookahead: torch.Tensor,
                prior: torch.Tensor | None = None) -> torch.Tensor:
        """image (B, 1, SIZE, SIZE) float, history (B, HISTORY) int64, lookahead (B, 1) int64,
        prior (B, 5) float (with greedy_prior) -> (B, 5) logits."""
        notes, _ = self.notes(self.embed(history))
        summary = [notes[:, -1], self.lookahead(lookahead[:, 0])]
        if self.greedy_prior:
            # Scores differ by hundredths: compared per decision, they also reach the logits
            # directly, so training starts from the greedy choice and learns corrections.
            scores = (prior - prior.mean(1, keepdim=True)) / (prior.std(1, keepdim=True) + 1e-3)
            summary.append(scores)
        image = self.standardise(image)
        if self.planes is not None:
            image = self.planes(image, history, lookahead)
        logits = self.head(torch.cat([self.dance(image)] + summary, dim=1))
        return logits + self.greedy_gain * scores if self.greedy_prior else logits


def count_macs(model: NoteClassifier) -> int:
    """Multiply-accumulates of one decision (conv, LSTM, linear layers and the extra planes;
    pooling, normalisation and activations are not counted; the greedy prior is computed
    outside the network)."""
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
    return macs
