"""Train the note classifier with Adam, deterministically for a given seed and thread count."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np
import torch
from torch.nn import functional as F

from models.classifier.data import Windows
from models.classifier.network import NoteClassifier


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    width: float = 0.125
    note_planes: bool = True
    greedy_prior: bool = True
    epochs: int = 4
    batch: int = 128
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    threads: int = 2  # the shipped model's (1 trains 4x faster on a busy 2-core machine)
    max_steps: int | None = None  # stop early (smoke runs)


def make_deterministic(seed: int, threads: int) -> None:
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)


@torch.no_grad()
def predict(model: NoteClassifier, w: Windows, batch: int = 512) -> np.ndarray:
    """Teacher-forced decisions for every window."""
    model.eval()
    inputs = [torch.from_numpy(w.feed()[name]) for name in model.input_names]
    return torch.cat([model(*(x[i:i + batch] for x in inputs)).argmax(1)
                      for i in range(0, len(w), batch)]).numpy()


def accuracy_on(windows: Windows) -> Callable[[NoteClassifier], float]:
    """model -> its teacher-forced accuracy on `windows` (a `validate` for train)."""
    return lambda model: float(np.mean(predict(model, windows) == windows.targets))


def train(train_set: Windows, validate: Callable[[NoteClassifier], float], cfg: TrainConfig,
          log=print, on_epoch: Callable[[int, NoteClassifier], None] | None = None
          ) -> tuple[NoteClassifier, list[dict]]:
    """Returns the model of the epoch with the best `validate(model)` (higher is better;
    scoring.free_running_correlation for the shipped model), and per-epoch stats (also for
    smoke runs: 'losses' holds every step's training loss). `on_epoch(epoch, model)` sees the
    model after each epoch, in eval mode (benchmarks/classifier_epochs.py)."""
    make_deterministic(cfg.seed, cfg.threads)
    model = NoteClassifier(cfg.width, note_planes=cfg.note_planes, greedy_prior=cfg.greedy_prior)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = -(-len(train_set) // cfg.batch)
    total = cfg.epochs * steps_per_epoch if cfg.max_steps is None else cfg.max_steps
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=total, pct_start=0.15)
    inputs = [torch.from_numpy(train_set.feed()[name]) for name in model.input_names]
    targets = torch.from_numpy(train_set.targets)
    gen = torch.Generator().manual_seed(cfg.seed)
    history: list[dict] = []
    best, best_state, step = -np.inf, None, 0
    for epoch in range(cfg.epochs):
        start = time.monotonic()
        model.train()
        losses = []
        for idx in torch.randperm(len(train_set), generator=gen).split(cfg.batch):
            loss = F.cross_entropy(model(*(x[idx] for x in inputs)), targets[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
            step += 1
            if step == total:
                break
        model.eval()
        val_score = validate(model)
        if on_epoch is not None:
            on_epoch(epoch + 1, model)
        stats = {"epoch": epoch + 1, "loss": float(np.mean(losses)), "validation": val_score,
                 "seconds": time.monotonic() - start, "losses": losses}
        history.append(stats)
        log(f"epoch {epoch + 1:3d}  loss {stats['loss']:.4f}  validation {val_score:.4f}  "
            f"({stats['seconds']:.0f} s)")
        if val_score > best:
            best = val_score
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        if step == total:
            break
    model.load_state_dict(best_state)
    model.eval()
    return model, history
